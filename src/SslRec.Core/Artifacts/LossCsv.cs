using System.Globalization;
using System.Text;
using SslRec.Core.Metrics;

namespace SslRec.Core.Artifacts;

/// <summary>
/// loss.csv, the one schema of a loss history wherever training writes one (`sslrec train`, a run's
/// candidate, an experiment's cell): one row per step, <c>step,epoch,total,main,ssl,spread_out</c>, six
/// significant digits.
/// </summary>
public static class LossCsv
{
    public const string Header = "step,epoch,total,main,ssl,spread_out";

    public static string Format(IEnumerable<LossRecord> losses)
    {
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var l in losses)
            sb.Append(CultureInfo.InvariantCulture, $"{l.Step},{l.Epoch},{l.Total:G6},{l.Main:G6},{l.Ssl:G6},{l.SpreadOut:G6}\n");
        return sb.ToString();
    }

    /// <summary>
    /// Reads columns by their header names, so experiment cells written before the schema was one
    /// (<c>step,main,ssl</c>) still read; a column a file lacks reads as 0.
    /// </summary>
    public static List<LossRecord> Read(string path)
    {
        using var lines = File.ReadLines(path).GetEnumerator();
        if (!lines.MoveNext()) return [];
        var columns = lines.Current.Split(',');
        double Column(string[] fields, string name) =>
            Array.IndexOf(columns, name) is var i and >= 0 ? double.Parse(fields[i], CultureInfo.InvariantCulture) : 0;
        var losses = new List<LossRecord>();
        while (lines.MoveNext())
        {
            if (lines.Current.Length == 0) continue;
            var f = lines.Current.Split(',');
            losses.Add(new LossRecord((int)Column(f, "step"), (int)Column(f, "epoch"), Column(f, "total"), Column(f, "main"), Column(f, "ssl"), Column(f, "spread_out")));
        }
        return losses;
    }
}
