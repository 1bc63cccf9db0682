using System.Diagnostics;
using System.Globalization;
using System.Text;
using SslRec.Core.Artifacts;
using SslRec.Core.Data;
using SslRec.Core.Metrics;
using SslRec.Core.Schema;
using SslRec.Core.Statistics;
using SslRec.Training;
using SslRec.Training.Evaluation;
using SslRec.Training.Loop;
using static TorchSharp.torch;

namespace SslRec.Experiments;

/// <summary>A finished cell: its metrics and its loss curve (step, main, ssl).</summary>
public sealed record CellResult(ExperimentCell Cell, MetricsReport Metrics, IReadOnlyList<(int Step, double Main, double Ssl)> Losses);

/// <summary>
/// Runs every distinct cell of a grid once, in order of data fraction so each fraction is encoded once.
/// Each finished cell leaves OUT/cells/{folder}/metrics.json (written last, atomically) and loss.csv, so
/// a re-run skips finished cells and continues where an interrupted one stopped.
/// </summary>
public sealed class ExperimentRunner(string dataDirectory, string outputDirectory, Device device, Action<string> log)
{
    public List<CellResult> Run(IReadOnlyList<StudyEntry> entries, CancellationToken cancel = default)
    {
        CheckSameData();
        var cells = entries.Select(e => e.Cell).DistinctBy(c => c.Key).OrderByDescending(c => c.DataFraction).ThenBy(c => c.Untied).ToList();
        var results = new List<CellResult>();
        EncodedDataset? data = null;
        double[,]? mi = null;
        (double Fraction, bool Untied)? loaded = null;
        var clock = Stopwatch.StartNew();
        var done = 0;
        var trainedHere = 0;
        var toTrain = cells.Count(c => !File.Exists(Path.Combine(outputDirectory, "cells", c.Folder, ModelOutput.Metrics)));
        foreach (var cell in cells)
        {
            cancel.ThrowIfCancellationRequested();
            var dir = Path.Combine(outputDirectory, "cells", cell.Folder);
            var metricsPath = Path.Combine(dir, ModelOutput.Metrics);
            CellResult result;
            if (File.Exists(metricsPath))
            {
                result = new CellResult(cell, MetricsReport.FromJson(File.ReadAllText(metricsPath)), ReadLosses(Path.Combine(dir, ModelOutput.Losses)));
                done++;
                log($"[{done}/{cells.Count}] {cell.Folder}: done earlier (R@50 {result.Metrics.RecallAt("all", 50):F4})");
            }
            else
            {
                if (loaded != (cell.DataFraction, cell.Untied))
                {
                    data = Read(cell);
                    mi = MutualInformation.Compute(data.Items, data.ItemTrainCounts);
                    loaded = (cell.DataFraction, cell.Untied);
                }
                result = Train(cell, data!, mi!, dir, cancel);
                done++;
                trainedHere++;
                var eta = clock.Elapsed / trainedHere * (toTrain - trainedHere);
                log($"[{done}/{cells.Count}] {cell.Folder}: R@50 all {result.Metrics.RecallAt("all", 50):F4} tail {result.Metrics.RecallAt("tail", 50):F4} " +
                    $"({result.Metrics.TrainSeconds:F0} s; about {eta.TotalMinutes:F0} min left)");
            }
            results.Add(result);
        }
        return results;
    }

    private EncodedDataset Read(ExperimentCell cell)
    {
        var options = new DatasetReadOptions { DataFraction = cell.DataFraction };
        if (!cell.Untied) return DatasetEncoder.Read(dataDirectory, options);
        return DatasetEncoder.Read(dataDirectory, DatasetSchema.Load(Path.Combine(dataDirectory, DatasetSchema.FileName)).Untied(), options);
    }

    private CellResult Train(ExperimentCell cell, EncodedDataset data, double[,] mi, string dir, CancellationToken cancel)
    {
        Directory.CreateDirectory(dir);
        using var trainer = new Trainer(data, cell.Options with { CheckpointEvery = 0 }, device, mi);
        trainer.Train(store: null, progress: null, cancel);
        using var items = Embeddings.Encode(trainer.Model.ItemTower, data.Items, device);
        var metrics = TrainJob.Evaluate(trainer, data, items, device);
        metrics.DataFraction = cell.DataFraction;
        metrics.Config["method"] = cell.Method;
        var losses = trainer.State.Losses.Select(l => (l.Step, l.Main, l.Ssl)).ToList();
        var csv = new StringBuilder("step,main,ssl\n");
        foreach (var (step, main, ssl) in losses) csv.Append(CultureInfo.InvariantCulture, $"{step},{main:G6},{ssl:G6}\n");
        File.WriteAllText(Path.Combine(dir, ModelOutput.Losses), csv.ToString());
        File.WriteAllText(Path.Combine(dir, "cell.txt"), cell.Key);
        // metrics.json last and atomically: its presence marks the cell finished.
        File.WriteAllText(Path.Combine(dir, ModelOutput.Metrics + ".tmp"), metrics.ToJson());
        File.Move(Path.Combine(dir, ModelOutput.Metrics + ".tmp"), Path.Combine(dir, ModelOutput.Metrics), overwrite: true);
        return new CellResult(cell, metrics, losses);
    }

    /// <summary>
    /// Finished cells are only reused for the data they were trained on: OUT/data.txt records the dataset's
    /// files (names, sizes, modification times); other data in the same OUT is refused.
    /// </summary>
    private void CheckSameData()
    {
        Directory.CreateDirectory(outputDirectory);
        var fingerprint = string.Join('\n', Directory.EnumerateFiles(dataDirectory).Order(StringComparer.Ordinal)
            .Select(f => new FileInfo(f)).Select(f => $"{f.Name} {f.Length} {f.LastWriteTimeUtc:O}"));
        var path = Path.Combine(outputDirectory, "data.txt");
        if (File.Exists(path) && File.ReadAllText(path) != fingerprint)
            throw new InvalidOperationException($"{outputDirectory} holds runs of other data (see {path}); use a new --out or delete it");
        File.WriteAllText(path, fingerprint);
    }

    private static List<(int, double, double)> ReadLosses(string path) =>
        !File.Exists(path) ? [] : File.ReadLines(path).Skip(1).Select(l => l.Split(',')).Select(p =>
            (int.Parse(p[0], CultureInfo.InvariantCulture), double.Parse(p[1], CultureInfo.InvariantCulture), double.Parse(p[2], CultureInfo.InvariantCulture))).ToList();
}
