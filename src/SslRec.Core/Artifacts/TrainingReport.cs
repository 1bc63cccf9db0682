using System.Globalization;
using System.Text;
using SslRec.Core.Metrics;
using SslRec.Core.Options;

namespace SslRec.Core.Artifacts;

/// <summary>report.md: the settings, Recall@K by slice, the data's size and the training speed, with the two plots beside it.</summary>
public static class TrainingReport
{
    public static string Markdown(MetricsReport m, TrainingOptions o)
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
        sb.AppendLine().AppendLine($"![Recall@K by slice]({ModelOutput.RecallPlot})").AppendLine().AppendLine($"![Training loss]({ModelOutput.LossPlot})");
        return sb.ToString();
    }
}
