using SslRec.Core.Util;

namespace SslRec.Training.Augmentation;

/// <summary>
/// Chooses, per SSL batch, which item features each of the two views masks. The two sets are
/// complementary halves for CFM and RFM; FD masks nothing (its views differ by dropout only).
/// </summary>
public interface IFeatureMasking
{
    (bool[] View1, bool[] View2) Sample(Rng rng);
}

/// <summary>
/// Correlated Feature Masking: pick a seed feature uniformly, then add the features with the highest
/// mutual information with the seed until half of the k features (⌊k/2⌋) form the mask set of view 1;
/// view 2 masks the complement. Correlated features are masked together, so a view cannot recover a
/// masked feature from its close correlate.
/// </summary>
public sealed class CorrelatedFeatureMasking : IFeatureMasking
{
    private readonly int[][] _byMutualInformation; // per seed: other features, most correlated first

    public CorrelatedFeatureMasking(double[,] mutualInformation)
    {
        var k = mutualInformation.GetLength(0);
        if (k < 2) throw new ArgumentException("correlated feature masking needs at least two item features");
        _byMutualInformation = new int[k][];
        for (var s = 0; s < k; s++)
            _byMutualInformation[s] = Enumerable.Range(0, k).Where(j => j != s)
                .OrderByDescending(j => mutualInformation[s, j]).ThenBy(j => j).ToArray();
    }

    public int FeatureCount => _byMutualInformation.Length;

    /// <summary>The mask set of view 1 when the seed is <paramref name="seed"/>.</summary>
    public int[] MaskSet(int seed) => [seed, .. _byMutualInformation[seed].Take(FeatureCount / 2 - 1)];

    public (bool[] View1, bool[] View2) Sample(Rng rng) => Complementary(FeatureCount, MaskSet(rng.Next(FeatureCount)));

    internal static (bool[], bool[]) Complementary(int k, IEnumerable<int> set)
    {
        var v1 = new bool[k];
        foreach (var f in set) v1[f] = true;
        return (v1, v1.Select(m => !m).ToArray());
    }
}

/// <summary>Random Feature Masking: a uniformly random half of the features for view 1, the rest for view 2.</summary>
public sealed class RandomFeatureMasking(int featureCount) : IFeatureMasking
{
    public (bool[] View1, bool[] View2) Sample(Rng rng)
    {
        if (featureCount < 2) throw new ArgumentException("random feature masking needs at least two item features");
        var order = Enumerable.Range(0, featureCount).ToArray();
        rng.Shuffle(order.AsSpan());
        return CorrelatedFeatureMasking.Complementary(featureCount, order.Take(featureCount / 2));
    }
}

/// <summary>No masking: used by feature dropout alone.</summary>
public sealed class NoMasking(int featureCount) : IFeatureMasking
{
    public (bool[] View1, bool[] View2) Sample(Rng rng) => (new bool[featureCount], new bool[featureCount]);
}
