using SslRec.Core.Ssl;
using SslRec.Core.Statistics;
using SslRec.Core.Util;

namespace SslRec.Tests.Training.Augmentations;

public class RandomFeatureMaskingTests
{
    [Fact]
    public void Rfm_masks_random_complementary_halves_and_never_reads_mutual_information()
    {
        var items = new ItemFeatureStatistics(["a", "b", "c", "d"], new double[4, 4]);
        var rfm = new RandomFeatureMasking();
        Assert.Equal((2, false), (rfm.MinItemFeatures, rfm.NeedsMutualInformation));
        var views = rfm.Start(new AugmentationInputs(items, DropRate: 0.3));
        var sets = new HashSet<string>();
        for (ulong s = 0; s < 100; s++)
        {
            var (first, second) = views.Sample(new Rng(s));
            Assert.Equal(2, first.Masked.Count(m => m));
            Assert.All(Enumerable.Range(0, 4), f => Assert.NotEqual(first.Masked[f], second.Masked[f]));
            Assert.Equal((0.3, 0.3), (first.DropRate, second.DropRate));
            sets.Add(string.Concat(first.Masked.Select(m => m ? '1' : '0')));
        }
        Assert.Equal(6, sets.Count); // all C(4,2) halves appear
    }
}
