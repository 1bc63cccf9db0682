using System.Diagnostics;
using SslRec.Core.Artifacts;
using SslRec.Core.Data;
using SslRec.Core.Metrics;
using SslRec.Core.Schema;
using SslRec.Core.Statistics;
using SslRec.Training;
using SslRec.Training.Evaluation;
using static TorchSharp.torch;

namespace SslRec.Experiments;

/// <summary>A finished cell: its metrics and its loss history.</summary>
public sealed record CellResult(ExperimentCell Cell, MetricsReport Metrics, IReadOnlyList<LossRecord> Losses);

/// <summary>
/// Runs every distinct cell of a grid once, in order of data fraction so each fraction is encoded once,
/// through the same driver, evaluation and output writer as `sslrec train`. Each finished cell leaves
/// OUT/cells/{folder}/loss.csv and metrics.json (written last, atomically), so a re-run skips finished
/// cells and continues where an interrupted one stopped.
/// </summary>
public sealed class ExperimentRunner(string dataDirectory, string outputDirectory, Device device, Action<string> log)
{
    /// <summary>The cell's key (<see cref="ExperimentCell.Key"/>), beside its outputs.</summary>
    private const string CellKeyFile = "cell.txt";

    public List<CellResult> Run(IReadOnlyList<StudyEntry> entries, CancellationToken cancel = default)
    {
        CheckSameData();
        var cells = entries.Select(e => e.Cell).DistinctBy(c => c.Key).OrderByDescending(c => c.DataFraction).ThenBy(c => c.Untied).ToList();
        var results = new List<CellResult>();
        EncodedDataset? data = null;
        ItemFeatureStatistics? items = null;
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
                var losses = Path.Combine(dir, ModelOutput.Losses);
                result = new CellResult(cell, MetricsReport.FromJson(File.ReadAllText(metricsPath)), File.Exists(losses) ? LossCsv.Read(losses) : []);
                done++;
                log($"[{done}/{cells.Count}] {cell.Folder}: done earlier (R@50 {result.Metrics.RecallAt("all", 50):F4})");
            }
            else
            {
                if (loaded != (cell.DataFraction, cell.Untied))
                {
                    data = Read(cell);
                    items = ItemFeatureStatistics.Of(data); // shared by the cells of this data
                    loaded = (cell.DataFraction, cell.Untied);
                }
                result = Train(cell, data!, items!, dir, cancel);
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

    private CellResult Train(ExperimentCell cell, EncodedDataset data, ItemFeatureStatistics items, string dir, CancellationToken cancel)
    {
        var output = ModelOutput.Local(dir);
        using var trainer = ModelTraining.Train(data, cell.Options with { CheckpointEvery = 0 }, device, new TrainingRun { Cancel = cancel }, items);
        // A cell publishes nothing: no product-quantized vectors, no embeddings or towers on disk.
        using var evaluated = ModelEvaluation.Evaluate(trainer.Result, data, device, new EvaluationOptions { CompactItems = false, DataFraction = cell.DataFraction });
        var metrics = evaluated.Metrics;
        metrics.Config["method"] = cell.Method;
        output.WriteLosses(trainer.State.Losses);
        output.WriteText(CellKeyFile, cell.Key);
        output.WriteMetrics(metrics); // last: its presence marks the cell finished
        return new CellResult(cell, metrics, trainer.State.Losses.ToList());
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

}
