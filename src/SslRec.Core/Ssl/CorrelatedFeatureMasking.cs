using SslRec.Core.Options;
using SslRec.Core.Util;

namespace SslRec.Core.Ssl;

/// <summary>
/// Correlated Feature Masking: pick a seed feature uniformly, then add the features with the highest
/// mutual information with the seed until half of the k features (⌊k/2⌋) form the mask set of view 1;
/// view 2 masks the complement. Correlated features are masked together, so a view cannot recover a
/// masked feature from its close correlate. Both views also apply feature dropout.
/// </summary>
public sealed class CorrelatedFeatureMasking : HalfMasking
{
    public override SslMode Mode => SslMode.Cfm;
    public override string Title => "correlated feature masking";
    public override string Help => "a random seed feature and its most correlated features, half of all, are masked in one view, the rest in the other";
    public override bool NeedsMutualInformation => true;

    public override IViewSampler Start(AugmentationInputs inputs) => new Sampler(MaskSets(inputs.Items.MutualInformation), inputs.DropRate);

    /// <summary>Per seed feature, the mask set of view 1: the seed and its most correlated features, ⌊k/2⌋ in all (also reported in feature_mi.json).</summary>
    public static int[][] MaskSets(double[,] mutualInformation)
    {
        var k = mutualInformation.GetLength(0);
        if (k < 2) throw new ArgumentException("correlated feature masking needs at least two item features");
        var sets = new int[k][];
        for (var s = 0; s < k; s++)
            sets[s] = [s, .. Enumerable.Range(0, k).Where(j => j != s)
                .OrderByDescending(j => mutualInformation[s, j]).ThenBy(j => j).Take(k / 2 - 1)];
        return sets;
    }

    private sealed class Sampler(int[][] maskSets, double dropRate) : IViewSampler
    {
        public ItemViews Sample(Rng rng) => Complementary(maskSets.Length, maskSets[rng.Next(maskSets.Length)], dropRate);
    }
}
