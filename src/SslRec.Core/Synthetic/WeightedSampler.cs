using SslRec.Core.Util;

namespace SslRec.Core.Synthetic;

/// <summary>Samples an index in proportion to weights by binary search over the cumulative sum.</summary>
internal sealed class WeightedSampler
{
    private readonly int[] _values;
    private readonly double[] _cumulative;

    public WeightedSampler(int[] values, double[] weights)
    {
        _values = values;
        _cumulative = new double[weights.Length];
        var sum = 0.0;
        for (var i = 0; i < weights.Length; i++) _cumulative[i] = sum += weights[i];
    }

    public int Sample(Rng rng)
    {
        var x = rng.NextDouble() * _cumulative[^1];
        var i = Array.BinarySearch(_cumulative, x);
        if (i < 0) i = ~i;
        return _values[Math.Min(i, _values.Length - 1)];
    }
}
