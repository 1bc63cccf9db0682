using SslRec.Core.Options;
using SslRec.Core.Vocab;

namespace SslRec.Training.Model;


/// <summary>
/// How one feature's ids are embedded: a full float table, or differentiable product quantization
/// (Chen et al. 2020) where each id may use the first <see cref="CentroidsById"/>[id] centroids of every
/// group's codebook (DPQ: the same K for all ids; MGQE, Kang et al. 2020: fewer for rarer ids).
/// </summary>
public sealed record FeatureEmbeddingPlan(int Size, int[]? CentroidsById = null)
{
    public bool Quantized => CentroidsById is not null;
    /// <summary>Codebook size: the largest K any id may use.</summary>
    public int Centroids => CentroidsById?.Max() ?? 0;

    public static FeatureEmbeddingPlan Full(int size) => new(size);

    /// <summary>
    /// The plan for a vocabulary. Quantization only pays off for a vocabulary larger than the codebook,
    /// so smaller ones (device, country, …) keep a full table whatever the kind.
    /// </summary>
    public static FeatureEmbeddingPlan For(Vocabulary vocabulary, TrainingOptions o)
    {
        var size = vocabulary.Size;
        return o.Embedding switch
        {
            EmbeddingKind.Dpq when size > o.DpqCentroids => new(size, Enumerable.Repeat(o.DpqCentroids, size).ToArray()),
            EmbeddingKind.Mgqe when size > o.MgqeCentroids[0] => new(size, MgqeTiers.CentroidsById(vocabulary, o.MgqeCentroids, o.MgqeTierShares)),
            _ => Full(size),
        };
    }

    public static IReadOnlyList<FeatureEmbeddingPlan> For(IEnumerable<Vocabulary> vocabularies, TrainingOptions o) =>
        vocabularies.Select(v => For(v, o)).ToList();
}

/// <summary>
/// MGQE's frequency tiers: tier t holds the values ranked (by training count, descending; ties by id)
/// within the first shares[0] + … + shares[t] of the vocabulary; the last tier takes the rest. Ids follow
/// the count order within each vocabulary partition, and across the whole vocabulary when it has one
/// partition (then the rank is the id), so the rank is taken from the counts.
/// The missing/masked id 0 (used by every masked SSL view) is in the head tier; the hashed
/// out-of-vocabulary buckets, which pool many rare values, are placed by their average count against
/// the tier boundaries' counts.
/// </summary>
public static class MgqeTiers
{
    public static int[] CentroidsById(Vocabulary vocabulary, IReadOnlyList<int> centroids, IReadOnlyList<double> shares)
    {
        if (shares.Count != centroids.Count - 1)
            throw new ArgumentException($"MGQE needs one tier share fewer than centroid counts (got {centroids.Count} centroid counts and {shares.Count} shares)");
        var n = vocabulary.Kept;
        var counts = vocabulary.Counts;
        var byRank = new int[n]; // id − 1 of each rank
        for (var i = 0; i < n; i++) byRank[i] = i;
        Array.Sort(byRank, (a, b) => counts[a] != counts[b] ? counts[b].CompareTo(counts[a]) : a.CompareTo(b));
        var result = new int[vocabulary.Size];
        result[0] = centroids[0];
        // last rank (exclusive) of each tier but the last
        var ends = new int[shares.Count];
        double cumulative = 0;
        for (var t = 0; t < shares.Count; t++)
        {
            cumulative += shares[t];
            ends[t] = (int)Math.Ceiling(Math.Min(1, cumulative) * n);
        }
        var tier = 0;
        for (var rank = 0; rank < n; rank++)
        {
            while (tier < ends.Length && rank >= ends[tier]) tier++;
            result[1 + byRank[rank]] = centroids[tier];
        }
        // a bucket joins the first tier whose smallest count it reaches
        var bucketCount = vocabulary.OovCount / (double)vocabulary.OovBuckets;
        var bucketTier = 0;
        while (bucketTier < ends.Length && (ends[bucketTier] == 0 || bucketCount < counts[byRank[ends[bucketTier] - 1]])) bucketTier++;
        for (var b = 0; b < vocabulary.OovBuckets; b++) result[1 + n + b] = centroids[bucketTier];
        return result;
    }
}
