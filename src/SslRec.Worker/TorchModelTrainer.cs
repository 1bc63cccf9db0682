using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SslRec.Core.Artifacts;
using SslRec.Core.Metrics;
using SslRec.Core.Options;
using SslRec.Pipeline;
using SslRec.Pipeline.Runs;
using SslRec.Training;
using SslRec.Training.Export;

namespace SslRec.Worker;

/// <summary>The pipeline's trainer: TorchSharp training and evaluation with blob checkpoints.</summary>
public sealed class TorchModelTrainer(TrainingOptions? defaults = null, string device = "auto", Action<string>? log = null) : IModelTrainer
{
    private readonly TrainingOptions _defaults = defaults ?? new TrainingOptions();

    /// <summary>How often training writes a progress line to the log (the run record is updated more often).</summary>
    public static readonly TimeSpan ProgressLogInterval = TimeSpan.FromSeconds(30);

    public TrainingOutcome Train(TrainingRequest request, CancellationToken ct)
    {
        var options = request.RunOptions(_defaults);
        var resumedFrom = 0;
        DateTime? lastLine = null;
        var metrics = TrainJob.TrainAndEvaluate(request.Data, options, TorchSetup.ResolveDevice(device), request.Checkpoints, resume: true,
            request.OutputDirectory,
            message => log?.Invoke(message),
            p =>
            {
                resumedFrom = p.ResumedFromStep;
                // A line in the worker's log every so often (a GPU job's log stream is not a terminal), and at the last step.
                var now = DateTime.UtcNow;
                lastLine ??= now;
                if (log is not null && (p.Step >= p.TotalSteps || now - lastLine.Value >= ProgressLogInterval))
                {
                    lastLine = now;
                    log(string.Create(CultureInfo.InvariantCulture, $"step {p.Step:N0}/{p.TotalSteps:N0} epoch {p.Epoch + 1} loss {p.Loss:F4} {p.ExamplesPerSecond:N0} ex/s"));
                }
                request.Progress(new TrainingProgressInfo
                {
                    Step = p.Step, TotalSteps = p.TotalSteps, Loss = p.Loss, ExamplesPerSecond = p.ExamplesPerSecond,
                    ResumedFromStep = p.ResumedFromStep, UpdatedAt = DateTimeOffset.UtcNow,
                });
            }, cancel: ct, warmStartFrom: request.WarmStartDirectory, suspendAt: request.SuspendAt);
        File.WriteAllText(Path.Combine(request.OutputDirectory, ModelOutput.Report), Report(metrics, options));
        ReportPlots.LossCurve(Path.Combine(request.OutputDirectory, ModelOutput.LossPlot), ReadLosses(Path.Combine(request.OutputDirectory, ModelOutput.Losses)));
        ReportPlots.RecallBars(Path.Combine(request.OutputDirectory, ModelOutput.RecallPlot), metrics);

        // Publishable files, named as they will appear under the candidate and the published version.
        var files = new List<string>(ModelOutput.ReportFiles);
        foreach (var f in ModelOutput.EmbeddingFiles)
        {
            File.Move(Path.Combine(request.OutputDirectory, ModelOutput.EmbeddingsFolder, f), Path.Combine(request.OutputDirectory, f), overwrite: true);
            files.Add(f);
        }
        // query_tower/ is published; model/ (both towers) stays with the run, for warm starts.
        foreach (var folder in new[] { ModelOutput.QueryTowerFolder, ModelOutput.ModelFolder })
            files.AddRange(Directory.EnumerateFiles(Path.Combine(request.OutputDirectory, folder), "*", SearchOption.AllDirectories)
                .Select(p => Path.GetRelativePath(request.OutputDirectory, p).Replace('\\', '/')).Order(StringComparer.Ordinal));
        return new TrainingOutcome(metrics, files, resumedFrom);
    }

    public Dictionary<string, Dictionary<string, double>>? RecallOfEarlierModel(SslRec.Core.Data.EncodedDataset data, string modelDirectory, int maxEvalQueries, CancellationToken ct) =>
        SslRec.Training.Evaluation.SameDataRecall.Compute(data, modelDirectory, TorchSetup.ResolveDevice(device), maxEvalQueries);

    private static List<(int, double, double, double)> ReadLosses(string lossCsv) =>
        File.ReadLines(lossCsv).Skip(1).Select(l => l.Split(',')).Select(p => (
            int.Parse(p[0], CultureInfo.InvariantCulture), double.Parse(p[2], CultureInfo.InvariantCulture),
            double.Parse(p[3], CultureInfo.InvariantCulture), double.Parse(p[4], CultureInfo.InvariantCulture))).ToList();

    private static string Report(MetricsReport m, TrainingOptions o)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# SslRec training report").AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"ssl {o.Ssl.ToString().ToLowerInvariant()}, α {o.Alpha}, τ {o.Tau}, τ_ssl {o.SslTau}, batch {o.BatchSize}, epochs {o.Epochs}, seed {o.Seed}").AppendLine();
        sb.AppendLine("| slice | Recall@10 | Recall@50 | Recall@100 |").AppendLine("|---|---|---|---|");
        foreach (var slice in new[] { "all", "head", "tail" })
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {slice} | {m.RecallAt(slice, 10):F4} | {m.RecallAt(slice, 50):F4} | {m.RecallAt(slice, 100):F4} |");
        sb.AppendLine().AppendLine(CultureInfo.InvariantCulture,
            $"{m.Examples.Train:N0} training and {m.Examples.Eval:N0} held-out pairs{(m.Examples.Evaluated is { } n ? $" ({n:N0} of them evaluated)" : "")}, corpus of {m.CorpusSize:N0} items; trained in {m.TrainSeconds:F1} s ({m.ExamplesPerSecond:N0} examples/s).");
        sb.AppendLine().AppendLine(m.Slices.TailDefinition);
        sb.AppendLine().AppendLine("![Recall@K by slice](recall.png)").AppendLine().AppendLine("![Training loss](loss.png)");
        return sb.ToString();
    }
}
