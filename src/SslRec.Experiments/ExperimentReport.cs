using System.Globalization;
using System.Text;
using SslRec.Core.Options;

namespace SslRec.Experiments;

/// <summary>
/// Writes results.csv (one row per run) and report.md: per study, mean ± std over seeds of Recall@10/50/100
/// for all/head/tail, the relative change of Recall@50 against the baseline of the same data fraction,
/// and whether that change is beyond the seed noise; then the winning configuration.
/// </summary>
public static class ExperimentReport
{
    private static readonly string[] Slices = ["all", "head", "tail"];
    private static readonly int[] Ks = [10, 50, 100];

    public static void WriteCsv(string path, IReadOnlyList<CellResult> results)
    {
        var sb = new StringBuilder("method,ssl,alpha,ssl_tau,ssl_batch,ssl_sampling,spread_out,embedding,data_fraction,seed,");
        sb.Append(string.Join(',', Slices.SelectMany(s => Ks.Select(k => $"recall_{s}_{k}"))));
        sb.Append(",train_seconds,examples_per_second,embedding_bytes\n");
        foreach (var r in results.OrderBy(r => r.Cell.Key, StringComparer.Ordinal))
        {
            var o = r.Cell.Options;
            sb.Append(CultureInfo.InvariantCulture, $"{r.Cell.Method},{o.Ssl.ToString().ToLowerInvariant()},{o.Alpha},{o.SslTau},{o.SslBatchSize},{o.SslSampling.ToString().ToLowerInvariant()},{o.SpreadOut},{o.Embedding.ToString().ToLowerInvariant()},{r.Cell.DataFraction},{o.Seed},");
            sb.Append(string.Join(',', Slices.SelectMany(s => Ks.Select(k => r.Metrics.RecallAt(s, k).ToString("F6", CultureInfo.InvariantCulture)))));
            sb.Append(CultureInfo.InvariantCulture, $",{r.Metrics.TrainSeconds:F2},{r.Metrics.ExamplesPerSecond:F0},{r.Metrics.EmbeddingBytes?.Total}\n");
        }
        File.WriteAllText(path, sb.ToString());
    }

    public static Summary Recall(IEnumerable<CellResult> runs, string slice, int k) => Summary.Of(runs.Select(r => r.Metrics.RecallAt(slice, k)).ToList());

    /// <summary>Runs of the baseline (no SSL, no spread-out) at a data fraction.</summary>
    public static List<CellResult> Baseline(IReadOnlyList<CellResult> results, double fraction) =>
        results.Where(r => r.Cell.Method == "baseline" && r.Cell.DataFraction == fraction).ToList();

    public static string Write(string path, string grid, IReadOnlyList<StudyEntry> entries, IReadOnlyList<CellResult> results, string dataDescription)
    {
        var byKey = results.ToDictionary(r => r.Cell.Key);
        var sb = new StringBuilder();
        sb.AppendLine("# SslRec experiment report").AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Data: {dataDescription}. Grid: `{grid}`, {results.Count} runs. Metrics: exact full-corpus Recall@K on the hold-out; head = most frequent items covering 80% of training interactions, tail = the rest.");
        sb.AppendLine().AppendLine("Each row is the mean ± standard deviation over seeds (n = seeds). Δ is the relative change of Recall@50 against the baseline (no SSL) at the same data fraction; " +
                                   "**bold** marks a change beyond noise (more than two standard errors of the difference; a single-seed row is judged against the baseline's seed spread), plain text a change within noise.").AppendLine();

        foreach (var study in entries.Select(e => e.Study).Distinct())
        {
            sb.AppendLine($"## {study}").AppendLine();
            sb.AppendLine("| configuration | n | R@10 all | R@50 all | R@100 all | R@10 head | R@50 head | R@10 tail | R@50 tail | Δ R@50 all | Δ R@50 tail |");
            sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var group in entries.Where(e => e.Study == study).GroupBy(e => e.Label))
            {
                var runs = group.Select(e => byKey[e.Cell.Key]).ToList();
                var baseline = Baseline(results, group.First().Cell.DataFraction);
                sb.Append(CultureInfo.InvariantCulture, $"| {group.Key} | {runs.Count} ");
                foreach (var (slice, k) in new[] { ("all", 10), ("all", 50), ("all", 100), ("head", 10), ("head", 50), ("tail", 10), ("tail", 50) })
                    sb.Append(CultureInfo.InvariantCulture, $"| {Recall(runs, slice, k)} ");
                foreach (var slice in new[] { "all", "tail" })
                    sb.Append($"| {Delta(Recall(runs, slice, 50), Recall(baseline, slice, 50), group.First().Cell.Method == "baseline")} ");
                sb.AppendLine("|");
            }
            sb.AppendLine();
            if (study == ExperimentGrid.Compact) AppendSizes(sb, entries.Where(e => e.Study == study), byKey);
        }

        sb.AppendLine("## Winning configuration").AppendLine();
        var full = entries.Where(e => e.Cell.DataFraction == 1).GroupBy(e => e.Cell.Config)
            .Select(g => (Entry: g.First(), All: Recall(g.Select(e => byKey[e.Cell.Key]).DistinctBy(r => r.Cell.Key), "all", 50)))
            .OrderByDescending(x => x.All.Mean).ToList();
        string Labels(ExperimentCell cell) => string.Join("; ", entries.Where(e => e.Cell.Config == cell.Config).Select(e => $"{e.Study}: {e.Label}").Distinct());
        var baseAll = Recall(Baseline(results, 1), "all", 50);
        // Only configurations measured with every seed can win: a single-seed sweep point picked as the best
        // of several is an optimistic estimate (selection on noise).
        var seeds = full.Max(x => x.All.N);
        var best = full.First(x => x.All.N == seeds);
        sb.AppendLine(CultureInfo.InvariantCulture, $"Highest mean Recall@50 (all) at full data among configurations run with all {seeds} seeds: **{Labels(best.Entry.Cell)}** with {best.All}, baseline {baseAll}.");
        sb.AppendLine();
        if (best.Entry.Cell.Method == "baseline")
            sb.AppendLine("No SSL configuration beat the baseline on average: on this data, train without SSL or measure on more seeds.");
        else if (!Summary.Beyond(best.All, baseAll))
            sb.AppendLine("Its advantage over the baseline is **within noise**: it is not evidence that this configuration is better. Prefer the cheaper baseline, or rerun with more seeds (`--seeds`).");
        else
            sb.AppendLine("Its advantage over the baseline is beyond the seed noise.");
        var sweep = full.FirstOrDefault(x => x.All.N < seeds);
        if (sweep.Entry is not null && sweep.All.Mean > best.All.Mean)
            sb.AppendLine().AppendLine(CultureInfo.InvariantCulture,
                $"The best sweep point, **{Labels(sweep.Entry.Cell)}** ({sweep.All}, {sweep.All.N} seed), scores higher, but it was picked as the best of {full.Count(x => x.All.N < seeds)} single-seed points: confirm it with `--grid paper` (every seed) before adopting it.");
        sb.AppendLine().AppendLine("Plots: `rq1_recall.png` (Recall@50 by method and slice, error bars = std over seeds), `rq2_gain.png` (relative gain of CFM over the baseline by data fraction), `rq3_alpha.png` (α sweep), `loss_curves.png` (main and SSL loss, seed 1).");
        File.WriteAllText(path, sb.ToString());
        return sb.ToString();
    }

    /// <summary>Serving size of the embedding tables per configuration (the same for every seed) and training speed.</summary>
    private static void AppendSizes(StringBuilder sb, IEnumerable<StudyEntry> entries, IReadOnlyDictionary<string, CellResult> byKey)
    {
        sb.AppendLine("| configuration | embedding tables as served | share of full float32 | train seconds (mean) |");
        sb.AppendLine("|---|---|---|---|");
        foreach (var group in entries.GroupBy(e => e.Label))
        {
            var runs = group.Select(e => byKey[e.Cell.Key]).ToList();
            var size = runs.Select(r => r.Metrics.EmbeddingBytes).FirstOrDefault(b => b is not null);
            var bytes = size is null ? "—" : $"{size.Total / 1e6:F3} MB";
            var share = size is null ? "—" : (size.ShareOfFull * 100).ToString("F0", CultureInfo.InvariantCulture) + "%";
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key} | {bytes} | {share} | {runs.Average(r => r.Metrics.TrainSeconds):F1} |");
        }
        sb.AppendLine();
    }

    private static string Delta(Summary candidate, Summary baseline, bool isBaseline)
    {
        if (isBaseline || baseline.N == 0 || baseline.Mean == 0) return "—";
        var relative = (candidate.Mean - baseline.Mean) / baseline.Mean;
        var text = relative.ToString("+0.0%;−0.0%;0.0%", CultureInfo.InvariantCulture);
        return Summary.Beyond(candidate, baseline) ? $"**{text}**" : text;
    }
}
