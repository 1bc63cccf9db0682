using SslRec.Core.Ssl;
using SslRec.Core.Statistics;
using SslRec.Core.Util;

namespace SslRec.Tests.Training.Augmentations;

public class CorrelatedFeatureMaskingTests
{
    // f0–f1 strongly related, f2–f3 related, f4 weakly related to f0.
    private static readonly double[,] Mi =
    {
        { 3.0, 2.0, 0.1, 0.0, 0.5 },
        { 2.0, 3.0, 0.2, 0.1, 0.0 },
        { 0.1, 0.2, 3.0, 1.5, 0.0 },
        { 0.0, 0.1, 1.5, 3.0, 0.3 },
        { 0.5, 0.0, 0.0, 0.3, 3.0 },
    };

    private static readonly ItemFeatureStatistics Items = new(["f0", "f1", "f2", "f3", "f4"], Mi);

    [Fact]
    public void Cfm_masks_the_seed_with_its_most_correlated_features_and_the_complement()
    {
        var sets = CorrelatedFeatureMasking.MaskSets(Mi);
        Assert.Equal([0, 1], sets[0]);
        Assert.Equal([2, 3], sets[2]);
        Assert.Equal([4, 0], sets[4]);
        var views = new CorrelatedFeatureMasking().Start(new AugmentationInputs(Items, DropRate: 0.2));
        var seen = new HashSet<string>();
        for (ulong s = 0; s < 200; s++)
        {
            var (first, second) = views.Sample(new Rng(s));
            Assert.Equal(2, first.Masked.Count(m => m));                                                 // ⌊5/2⌋ features masked in view 1
            Assert.All(Enumerable.Range(0, 5), f => Assert.NotEqual(first.Masked[f], second.Masked[f])); // complementary
            Assert.Equal((0.2, 0.2), (first.DropRate, second.DropRate));                                 // and feature dropout on both
            var set = Enumerable.Range(0, 5).Where(f => first.Masked[f]).ToArray();
            Assert.Contains(sets, maskSet => maskSet.Order().SequenceEqual(set));
            seen.Add(string.Join(',', set));
        }
        Assert.Equal(3, seen.Count); // {0,1}, {2,3}, {0,4}: the seed feature varies between batches
    }

    [Fact]
    public void Cfm_declares_that_it_needs_two_item_features_and_their_mutual_information()
    {
        var cfm = new CorrelatedFeatureMasking();
        Assert.Equal((2, true), (cfm.MinItemFeatures, cfm.NeedsMutualInformation));
        Assert.Throws<ArgumentException>(() => CorrelatedFeatureMasking.MaskSets(new double[1, 1]));
    }
}
