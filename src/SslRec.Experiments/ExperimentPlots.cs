using ScottPlot;

namespace SslRec.Experiments;

/// <summary>The report's PNG plots (ScottPlot).</summary>
public static class ExperimentPlots
{
    private static readonly string[] Slices = ["all", "head", "tail"];

    public static void Write(string directory, IReadOnlyList<StudyEntry> entries, IReadOnlyList<CellResult> results)
    {
        var byKey = results.ToDictionary(r => r.Cell.Key);
        List<CellResult> Runs(string study, string label) => entries.Where(e => e.Study == study && e.Label == label).Select(e => byKey[e.Cell.Key]).ToList();
        var palette = new ScottPlot.Palettes.Category10();

        // RQ1: Recall@50 by method and slice, error bars over seeds.
        {
            var plot = new Plot();
            var methods = entries.Where(e => e.Study == ExperimentGrid.Rq1).Select(e => e.Label).Distinct().ToArray();
            for (var s = 0; s < Slices.Length; s++)
            {
                var bars = new List<Bar>();
                for (var m = 0; m < methods.Length; m++)
                {
                    var summary = ExperimentReport.Recall(Runs(ExperimentGrid.Rq1, methods[m]), Slices[s], 50);
                    bars.Add(new Bar { Position = m * (Slices.Length + 1) + s, Value = summary.Mean, Error = summary.Std, FillColor = palette.GetColor(s) });
                }
                plot.Add.Bars(bars);
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = Slices[s], FillColor = palette.GetColor(s) });
            }
            plot.Axes.Bottom.SetTicks(methods.Select((_, m) => (double)(m * (Slices.Length + 1) + 1)).ToArray(), methods);
            plot.ShowLegend();
            plot.Title("Recall@50 by method and slice (mean ± std over seeds)");
            plot.Axes.SetLimitsY(0, 1);
            plot.SavePng(Path.Combine(directory, "rq1_recall.png"), 900, 500);
        }

        // RQ2: relative gain of CFM over the baseline by data fraction.
        {
            var plot = new Plot();
            var fractions = entries.Where(e => e.Study == ExperimentGrid.Rq2).Select(e => e.Cell.DataFraction).Distinct().Order().ToArray();
            foreach (var (slice, i) in new[] { ("all", 0), ("tail", 2) })
            {
                List<CellResult> Rq2(string method, double f) => entries
                    .Where(e => e.Study == ExperimentGrid.Rq2 && e.Cell.Method == method && e.Cell.DataFraction == f).Select(e => byKey[e.Cell.Key]).ToList();
                var gains = fractions.Select(f =>
                {
                    var cfm = ExperimentReport.Recall(Rq2("cfm", f), slice, 50);
                    var b = ExperimentReport.Recall(Rq2("baseline", f), slice, 50);
                    return 100 * (cfm.Mean - b.Mean) / b.Mean;
                }).ToArray();
                var line = plot.Add.Scatter(fractions.Select(f => f * 100).ToArray(), gains);
                line.LegendText = $"Recall@50 {slice}";
                line.Color = palette.GetColor(i);
            }
            plot.Add.HorizontalLine(0, color: Colors.Gray);
            plot.XLabel("training data used (%)");
            plot.YLabel("CFM vs baseline (%)");
            plot.Title("Relative gain of CFM over no SSL by data fraction");
            plot.ShowLegend();
            plot.SavePng(Path.Combine(directory, "rq2_gain.png"), 800, 450);
        }

        // RQ3: α sweep.
        {
            var plot = new Plot();
            var alphas = entries.Where(e => e.Study == ExperimentGrid.Rq3Alpha).GroupBy(e => e.Cell.Options.Alpha).OrderBy(g => g.Key).ToList();
            foreach (var (slice, i) in new[] { ("all", 0), ("tail", 2) })
            {
                var ys = alphas.Select(g => ExperimentReport.Recall(g.Select(e => byKey[e.Cell.Key]), slice, 50).Mean).ToArray();
                var line = plot.Add.Scatter(alphas.Select(g => Math.Log10(g.Key)).ToArray(), ys);
                line.LegendText = $"Recall@50 {slice}";
                line.Color = palette.GetColor(i);
                var b = ExperimentReport.Recall(ExperimentReport.Baseline(results, 1), slice, 50).Mean;
                var h = plot.Add.HorizontalLine(b, color: palette.GetColor(i));
                h.LinePattern = LinePattern.Dashed;
            }
            plot.XLabel("log10 α (dashed: no SSL)");
            plot.YLabel("Recall@50");
            plot.Title("SSL weight α (CFM)");
            plot.ShowLegend();
            plot.SavePng(Path.Combine(directory, "rq3_alpha.png"), 800, 450);
        }

        // Loss curves of the first seed: baseline and CFM.
        {
            var plot = new Plot();
            var color = 0;
            foreach (var method in new[] { "baseline", "cfm" })
            {
                var run = results.Where(r => r.Cell.Method == method && r.Cell.DataFraction == 1 && IsRq1Configuration(r, entries)).OrderBy(r => r.Cell.Options.Seed).FirstOrDefault();
                if (run is null || run.Losses.Count == 0) continue;
                var main = plot.Add.ScatterLine(run.Losses.Select(l => (double)l.Step).ToArray(), run.Losses.Select(l => l.Main).ToArray());
                main.LegendText = $"{method}: main loss";
                main.Color = palette.GetColor(color++);
                if (method == "cfm")
                {
                    var ssl = plot.Add.ScatterLine(run.Losses.Select(l => (double)l.Step).ToArray(), run.Losses.Select(l => l.Ssl).ToArray());
                    ssl.LegendText = "cfm: SSL loss";
                    ssl.Color = palette.GetColor(color++);
                }
            }
            plot.XLabel("step");
            plot.YLabel("loss");
            plot.Title("Training loss (seed 1, full data)");
            plot.ShowLegend(Alignment.UpperRight);
            plot.SavePng(Path.Combine(directory, "loss_curves.png"), 800, 450);
        }
    }

    /// <summary>Whether a run is the default configuration of its method (the one RQ1 uses).</summary>
    private static bool IsRq1Configuration(CellResult r, IReadOnlyList<StudyEntry> entries) =>
        entries.Any(e => e.Study == ExperimentGrid.Rq1 && StripFraction(e.Cell.Config) == StripFraction(r.Cell.Config));

    private static string StripFraction(string config) => config[..config.LastIndexOf(";fraction=", StringComparison.Ordinal)];
}
