using SslRec.Core.Options;
using SslRec.Core.Synthetic;
using SslRec.Experiments;
using SslRec.Training;
using static TorchSharp.torch;

namespace SslRec.Tests.Experiments;

public class ExperimentTests
{
    [Fact]
    public void The_grid_covers_the_four_studies_and_shares_identical_runs()
    {
        var entries = ExperimentGrid.Build("quick", 3, new TrainingOptions());
        Assert.Equal([ExperimentGrid.Rq1, ExperimentGrid.Rq2, ExperimentGrid.Rq3Alpha, ExperimentGrid.Rq3Tau, ExperimentGrid.Rq3Batch, ExperimentGrid.Rq4, ExperimentGrid.Compact],
            entries.Select(e => e.Study).Distinct());
        Assert.Equal(["baseline", "spread-out", "fd", "rfm", "cfm"], entries.Where(e => e.Study == ExperimentGrid.Rq1).Select(e => e.Label).Distinct());
        Assert.Equal(15, entries.Count(e => e.Study == ExperimentGrid.Rq1));
        // The default CFM run of RQ1 is the α = 0.1, τ_ssl = 0.1, batch-1024 and uniform-sampling point of RQ3/RQ4 too.
        var cfm = entries.First(e => e.Study == ExperimentGrid.Rq1 && e.Label == "cfm").Cell;
        Assert.Contains(entries, e => e.Study == ExperimentGrid.Rq3Alpha && e.Cell.Key == cfm.Key);
        Assert.Contains(entries, e => e.Study == ExperimentGrid.Rq4 && e.Cell.Key == cfm.Key);
        // the compact study reuses the full-table baseline and CFM runs and adds DPQ/MGQE × SSL on/off
        Assert.Equal(["full, no SSL", "full, cfm", "dpq, no SSL", "dpq, cfm", "mgqe, no SSL", "mgqe, cfm"], entries.Where(e => e.Study == ExperimentGrid.Compact).Select(e => e.Label).Distinct());
        Assert.Contains(entries, e => e.Study == ExperimentGrid.Compact && e.Cell.Key == cfm.Key);
        Assert.Equal(44 + 12, entries.Select(e => e.Cell.Key).Distinct().Count());
        // less data, same budget: 10% of the data trains 10× the epochs
        Assert.Equal(80, entries.First(e => e.Study == ExperimentGrid.Rq2 && e.Cell.DataFraction == 0.1).Cell.Options.Epochs);
        Assert.Throws<ArgumentException>(() => ExperimentGrid.Build("huge", 3, new TrainingOptions()));
    }

    [Fact]
    public void Same_entity_data_adds_a_tied_versus_untied_study_that_trains_both()
    {
        Assert.DoesNotContain(ExperimentGrid.Build("quick", 1, new TrainingOptions()), e => e.Study == ExperimentGrid.Ties);
        using var dir = new TempDirectory();
        var data = dir.Sub("links");
        LinkPredictionGenerator.Generate(data, new SyntheticOptions { Interactions = 1500, Items = 100, Seed = 2 });
        var options = new TrainingOptions { Epochs = 1, BatchSize = 256, SslBatchSize = 64, EmbeddingDim = 4, Hidden = [8], OutputDim = 8 };
        var entries = ExperimentGrid.Build("quick", 1, options, hasTies: true).Where(e => e.Study == ExperimentGrid.Ties).ToList();
        Assert.Equal(["tied, no SSL", "tied, cfm", "untied, no SSL", "untied, cfm"], entries.Select(e => e.Label));
        Assert.Equal([false, false, true, true], entries.Select(e => e.Cell.Untied));

        var results = new ExperimentRunner(data, dir.Sub("out"), CPU, _ => { }).Run(entries);
        // the tied model counts the shared tables once: its embedding tables are smaller than the untied model's
        long Bytes(string label) => results.Single(r => r.Cell.Key == entries.Single(e => e.Label == label).Cell.Key).Metrics.EmbeddingBytes!.Total;
        Assert.True(Bytes("tied, no SSL") < Bytes("untied, no SSL"));
        var report = ExperimentReport.Write(dir.Sub("out") + "/report.md", "quick", entries, results, "links");
        Assert.Contains("## Tied embeddings", report);
    }

    [Fact]
    public void Noise_judgement_uses_two_standard_errors()
    {
        var a = Summary.Of([0.50, 0.52, 0.51]);
        Assert.Equal(0.51, a.Mean, 12);
        Assert.Equal(0.01, a.Std, 12);
        Assert.False(Summary.Beyond(a, Summary.Of([0.515, 0.525, 0.505])));  // 0.5 std apart
        Assert.True(Summary.Beyond(a, Summary.Of([0.56, 0.57, 0.58])));      // 6 std apart
        Assert.True(Summary.Beyond(Summary.Of([0.60]), a));                   // one seed: judged with the other side's spread
        Assert.False(Summary.Beyond(Summary.Of([0.515]), a));
        Assert.False(Summary.Beyond(Summary.Of([0.5]), Summary.Of([0.6])));   // no spread at all: undecided
    }

    [Fact]
    public void A_tiny_experiment_writes_report_csv_and_plots_and_a_rerun_skips_finished_runs()
    {
        using var dir = new TempDirectory();
        var data = dir.Sub("data");
        SyntheticGenerator.Generate(data, new SyntheticOptions { Interactions = 1500, Items = 60, Seed = 2 });
        var options = new TrainingOptions { Epochs = 1, BatchSize = 256, SslBatchSize = 64, EmbeddingDim = 4, Hidden = [8], OutputDim = 8, DpqGroups = 2, DpqCentroids = 16, MgqeCentroids = [16, 4] , MgqeTierShares = [0.2] };
        var entries = ExperimentGrid.Build("quick", 2, options);
        var outDir = dir.Sub("out");
        var log = new List<string>();
        var results = new ExperimentRunner(data, outDir, CPU, log.Add).Run(entries);
        Assert.Equal(entries.Select(e => e.Cell.Key).Distinct().Count(), results.Count);
        ExperimentReport.WriteCsv(Path.Combine(outDir, "results.csv"), results);
        var report = ExperimentReport.Write(Path.Combine(outDir, "report.md"), "quick", entries, results, "tiny");
        ExperimentPlots.Write(outDir, entries, results);

        Assert.Equal(results.Count + 1, File.ReadAllLines(Path.Combine(outDir, "results.csv")).Length);
        foreach (var heading in new[] { "## RQ1 methods", "## RQ2 data sparsity", "## RQ3 SSL weight α", "## RQ4 masking", "## Compact embeddings", "## Winning configuration" })
            Assert.Contains(heading, report);
        Assert.Contains("| cfm @ 10 % | 2 |", report);
        Assert.Contains("| embedding tables as served |", report);
        Assert.Matches(@"\| mgqe, cfm \| [0-9.]+ MB \| [0-9]+% \|", report);
        foreach (var png in new[] { "rq1_recall.png", "rq2_gain.png", "rq3_alpha.png", "loss_curves.png" })
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(outDir, png))[..4]);

        // Resumable: a second run trains nothing and returns the same numbers.
        log.Clear();
        var again = new ExperimentRunner(data, outDir, CPU, log.Add).Run(entries);
        Assert.All(log, l => Assert.Contains("done earlier", l));
        Assert.Equal(results.Select(r => r.Metrics.RecallAt("all", 50)), again.Select(r => r.Metrics.RecallAt("all", 50)));

        // Finished runs are never reused for other data.
        File.AppendAllText(Path.Combine(data, "interactions.csv"), "u00001,k1,ios,b001,i00001,1\n");
        var e = Assert.Throws<InvalidOperationException>(() => new ExperimentRunner(data, outDir, CPU, log.Add).Run(entries));
        Assert.Contains("holds runs of other data", e.Message);
    }
}
