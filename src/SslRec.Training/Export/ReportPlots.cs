using SslRec.Core.Metrics;

namespace SslRec.Training.Export;

/// <summary>The training report's pictures: the loss curves and Recall@K by slice.</summary>
public static class ReportPlots
{
    public static void LossCurve(string path, IReadOnlyList<LossRecord> losses)
    {
        var plot = new ScottPlot.Plot();
        double[] steps = losses.Select(l => (double)l.Step).ToArray();
        var total = plot.Add.ScatterLine(steps, losses.Select(l => l.Total).ToArray());
        total.LegendText = "total";
        var main = plot.Add.ScatterLine(steps, losses.Select(l => l.Main).ToArray());
        main.LegendText = "main (batch softmax)";
        if (losses.Any(l => l.Ssl != 0))
        {
            var ssl = plot.Add.ScatterLine(steps, losses.Select(l => l.Ssl).ToArray());
            ssl.LegendText = "SSL (InfoNCE)";
        }
        plot.Title("Training loss");
        plot.XLabel("step");
        plot.YLabel("loss");
        plot.ShowLegend();
        plot.SavePng(path, 800, 450);
    }

    public static void RecallBars(string path, MetricsReport metrics)
    {
        var plot = new ScottPlot.Plot();
        string[] slices = ["all", "head", "tail"];
        int[] ks = [10, 50, 100];
        var bars = new List<ScottPlot.Bar>();
        var palette = new ScottPlot.Palettes.Category10();
        for (var s = 0; s < slices.Length; s++)
            for (var k = 0; k < ks.Length; k++)
                bars.Add(new ScottPlot.Bar { Position = s * 4 + k, Value = metrics.RecallAt(slices[s], ks[k]), FillColor = palette.GetColor(k) });
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks([1, 5, 9], slices);
        for (var k = 0; k < ks.Length; k++)
            plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = $"Recall@{ks[k]}", FillColor = palette.GetColor(k) });
        plot.ShowLegend();
        plot.Axes.SetLimitsY(0, 1);
        plot.Title("Full-corpus Recall@K on held-out pairs");
        plot.SavePng(path, 800, 450);
    }
}
