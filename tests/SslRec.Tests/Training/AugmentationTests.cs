using SslRec.Core.Data;
using SslRec.Core.Options;
using SslRec.Core.Schema;
using SslRec.Core.Util;
using SslRec.Training.Augmentation;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Tests.Training;

/// <summary>What every augmentation's views go through: feature dropout when batches are built, and the SSL item sampler.</summary>
public class AugmentationTests
{
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
