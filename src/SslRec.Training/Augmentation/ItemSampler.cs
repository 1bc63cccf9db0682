using SslRec.Core.Options;
using SslRec.Core.Util;

namespace SslRec.Training.Augmentation;

/// <summary>
/// Draws the SSL task's items from the corpus: uniformly (the paper's recommendation, so tail items get
/// signal), from the training distribution, or a mixture. Sampling is with replacement; the loss masks
/// duplicates.
/// </summary>
public sealed class ItemSampler
{
    private readonly double[] _cumulative;
    private readonly double _mix;

    public ItemSampler(IReadOnlyList<long> trainCounts, SslSampling mode, double mix)
    {
        _mix = mode switch { SslSampling.Uniform => 0, SslSampling.Train => 1, _ => mix };
        _cumulative = new double[trainCounts.Count];
        double sum = 0;
        for (var i = 0; i < trainCounts.Count; i++) _cumulative[i] = sum += trainCounts[i];
        if (sum == 0 && _mix > 0) throw new ArgumentException("no training counts to sample from");
    }

    public int CorpusSize => _cumulative.Length;

    public int[] Sample(Rng rng, int count)
    {
        var items = new int[count];
        for (var i = 0; i < count; i++)
            items[i] = _mix > 0 && (_mix >= 1 || rng.NextDouble() < _mix) ? FromTraining(rng) : rng.Next(CorpusSize);
        return items;
    }

    private int FromTraining(Rng rng)
    {
        var x = rng.NextDouble() * _cumulative[^1];
        var i = Array.BinarySearch(_cumulative, x);
        i = i < 0 ? ~i : i + 1; // the first bucket whose cumulative exceeds x
        while (i < _cumulative.Length - 1 && _cumulative[i] == (i == 0 ? 0 : _cumulative[i - 1])) i++;
        return Math.Min(i, _cumulative.Length - 1);
    }
}
