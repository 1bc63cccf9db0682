namespace SslRec.Experiments;

/// <summary>Mean and sample standard deviation over seeds.</summary>
public readonly record struct Summary(double Mean, double Std, int N)
{
    public static Summary Of(IReadOnlyCollection<double> values)
    {
        var n = values.Count;
        if (n == 0) return new Summary(double.NaN, double.NaN, 0);
        var mean = values.Average();
        var std = n > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (n - 1)) : 0;
        return new Summary(mean, std, n);
    }

    /// <summary>
    /// Whether two summaries differ by more than noise: the difference must exceed twice its standard
    /// error. With a single seed on a side, that side borrows the other side's spread (a sweep run with one
    /// seed is judged against the seed spread of its baseline); with no spread at all, nothing is decided.
    /// </summary>
    public static bool Beyond(Summary a, Summary b)
    {
        var sa = a.N > 1 ? a.Std : b.Std;
        var sb = b.N > 1 ? b.Std : a.Std;
        if (sa == 0 && sb == 0) return false;
        var se = Math.Sqrt(sa * sa / Math.Max(1, a.N) + sb * sb / Math.Max(1, b.N));
        return Math.Abs(a.Mean - b.Mean) > 2 * se;
    }

    public override string ToString() => N > 1 ? $"{Mean:F4} ± {Std:F4}" : $"{Mean:F4}";
}
