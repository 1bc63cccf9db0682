using SslRec.Core.Data;
using SslRec.Core.Options;
using SslRec.Core.Schema;
using SslRec.Core.Util;
using SslRec.Training;
using SslRec.Training.Augmentation;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Tests.Training;

public class AugmentationTests
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

    [Fact]
    public void Cfm_masks_the_seed_with_its_most_correlated_features_and_the_complement()
    {
        var cfm = new CorrelatedFeatureMasking(Mi);
        Assert.Equal([0, 1], cfm.MaskSet(0));
        Assert.Equal([2, 3], cfm.MaskSet(2));
        Assert.Equal([4, 0], cfm.MaskSet(4));
        var sets = new HashSet<string>();
        for (ulong s = 0; s < 200; s++)
        {
            var (v1, v2) = cfm.Sample(new Rng(s));
            Assert.Equal(2, v1.Count(m => m));                                   // ⌊5/2⌋ features masked in view 1
            Assert.All(Enumerable.Range(0, 5), f => Assert.NotEqual(v1[f], v2[f])); // complementary
            var set = Enumerable.Range(0, 5).Where(f => v1[f]).ToArray();
            Assert.Contains(set, seed => cfm.MaskSet(seed).Order().SequenceEqual(set));
            sets.Add(string.Join(',', set));
        }
        Assert.Equal(3, sets.Count); // {0,1}, {2,3}, {0,4}: the seed feature varies between batches
    }

    [Fact]
    public void Rfm_masks_random_complementary_halves()
    {
        var rfm = new RandomFeatureMasking(4);
        var sets = new HashSet<string>();
        for (ulong s = 0; s < 100; s++)
        {
            var (v1, v2) = rfm.Sample(new Rng(s));
            Assert.Equal(2, v1.Count(m => m));
            Assert.All(Enumerable.Range(0, 4), f => Assert.NotEqual(v1[f], v2[f]));
            sets.Add(string.Concat(v1.Select(m => m ? '1' : '0')));
        }
        Assert.Equal(6, sets.Count); // all C(4,2) halves appear
    }

    [Fact]
    public void Feature_dropout_drops_multi_values_at_the_configured_rate_and_empty_bags_become_missing()
    {
        const int rows = 4000, bag = 5;
        var offsets = Enumerable.Range(0, rows + 1).Select(r => r * bag).ToArray();
        var values = Enumerable.Range(0, rows * bag).Select(i => 1 + i % 50).ToArray();
        var spec = new FeatureSpec { Name = "tags", Type = FeatureType.Multi, Side = FeatureSide.Item };
        var table = new EncodedTable([new FeatureColumn(spec, offsets, values)], rows);
        var all = Enumerable.Range(0, rows).ToArray();

        var batch = FeatureBatchBuilder.Build(table, all, CPU, dropRate: 0.3, rng: new Rng(5));
        var ids = batch.Ids[0]!.data<long>().ToArray();
        var kept = ids.Count(id => id != 0);
        Assert.InRange(kept / (double)(rows * bag), 0.68, 0.72);
        // a bag that lost every value holds the missing id 0 alone (P = 0.3^5 ≈ 0.24% of bags)
        var missing = ids.Count(id => id == 0);
        Assert.InRange(missing, 1, 30);
        // mean pooling: every bag's weights sum to 1
        var w = batch.Weights[0]!.data<float>().ToArray();
        var o = batch.Offsets[0]!.data<long>().ToArray();
        for (var r = 0; r < rows; r++)
        {
            var end = r + 1 < rows ? o[r + 1] : ids.Length;
            Assert.Equal(1f, w[(int)o[r]..(int)end].Sum(), 4);
        }

        var none = FeatureBatchBuilder.Build(table, all, CPU);
        Assert.Equal(rows * bag, (int)none.Ids[0]!.shape[0]);
    }

    [Fact]
    public void Ssl_items_are_uniform_or_follow_training_counts()
    {
        long[] counts = [1000, 0, 0, 10];
        var uniform = new ItemSampler(counts, SslSampling.Uniform, 0).Sample(new Rng(1), 8000);
        Assert.All(Enumerable.Range(0, 4), i => Assert.InRange(uniform.Count(x => x == i), 1800, 2200));
        var train = new ItemSampler(counts, SslSampling.Train, 0).Sample(new Rng(1), 8000);
        Assert.Equal(0, train.Count(x => x is 1 or 2));
        Assert.InRange(train.Count(x => x == 3), 40, 120);
    }
}
