namespace SslRec.Core.Statistics;

/// <summary>
/// Splits items into head and tail by training frequency: the head is the most frequent items that
/// together cover <see cref="HeadShare"/> of the training interactions; the threshold is the training
/// count of the last head item, and every item with at least that count is head (ties stay together).
/// Tail items are the rest, including items never seen in training.
/// </summary>
public sealed class FrequencySlices
{
    public const double DefaultHeadShare = 0.8;

    public double HeadShare { get; }
    /// <summary>Items with at least this many training interactions are head items.</summary>
    public long Threshold { get; }
    public bool[] IsHead { get; }
    public int HeadItems { get; }
    public int TailItems => IsHead.Length - HeadItems;
    /// <summary>The share of training interactions the head actually covers (≥ HeadShare, ties included).</summary>
    public double HeadCoverage { get; }

    public FrequencySlices(IReadOnlyList<long> trainCounts, double headShare = DefaultHeadShare)
    {
        if (headShare is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(headShare));
        HeadShare = headShare;
        var total = trainCounts.Sum();
        var sorted = trainCounts.Where(c => c > 0).OrderByDescending(c => c).ToArray();
        long cumulative = 0, threshold = long.MaxValue;
        foreach (var c in sorted)
        {
            cumulative += c;
            threshold = c;
            if (cumulative >= headShare * total) break;
        }
        Threshold = threshold == long.MaxValue ? 1 : threshold;
        IsHead = trainCounts.Select(c => c >= Threshold).ToArray();
        HeadItems = IsHead.Count(h => h);
        HeadCoverage = total == 0 ? 0 : trainCounts.Where(c => c >= Threshold).Sum() / (double)total;
    }

    public string Definition =>
        $"head: items with at least {Threshold} training interactions (the most frequent items, covering {HeadCoverage:P1} of training interactions; target {HeadShare:P0}); tail: all other items, including items unseen in training";
}
