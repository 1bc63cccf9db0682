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
/// MGQE's frequency tiers. Vocabulary ids are ordered by training count, so tier t holds the values
/// ranked within the first shares[0] + … + shares[t] of the vocabulary; the last tier takes the rest.
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
        var n = vocabulary.Values.Count;
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
            result[1 + rank] = centroids[tier];
        }
        // a bucket joins the first tier whose smallest count it reaches
        var bucketCount = vocabulary.OovCount / (double)vocabulary.OovBuckets;
        var bucketTier = 0;
        while (bucketTier < ends.Length && (ends[bucketTier] == 0 || bucketCount < vocabulary.Counts[ends[bucketTier] - 1])) bucketTier++;
        for (var b = 0; b < vocabulary.OovBuckets; b++) result[1 + n + b] = centroids[bucketTier];
        return result;
    }
}
