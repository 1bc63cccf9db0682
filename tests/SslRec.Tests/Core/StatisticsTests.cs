using SslRec.Core.Data;
using SslRec.Core.Metrics;
using SslRec.Core.Schema;
using SslRec.Core.Statistics;

namespace SslRec.Tests.Core;

public class StatisticsTests
{
    private static FeatureSpec Cat(string name) => new() { Name = name, Type = FeatureType.Categorical, Side = FeatureSide.Item };
    private static FeatureSpec Multi(string name) => new() { Name = name, Type = FeatureType.Multi, Side = FeatureSide.Item };

    private static EncodedTable Table(params FeatureColumn[] columns) => new(columns, columns[0].RowCount);

    [Fact]
    public void Identical_fair_binary_features_share_ln2_nats_and_independent_ones_none()
    {
        var a = new FeatureColumn(Cat("a"), [1, 2, 1, 2]);
        var same = new FeatureColumn(Cat("b"), [1, 2, 1, 2]);
        var independent = new FeatureColumn(Cat("c"), [1, 1, 2, 2]);
        var mi = MutualInformation.Compute(Table(a, same, independent), [1, 1, 1, 1]);
        Assert.Equal(Math.Log(2), mi[0, 1], 12);
        Assert.Equal(0, mi[0, 2], 12);
        Assert.Equal(mi[0, 1], mi[1, 0]);
        Assert.Equal(Math.Log(2), mi[0, 0], 12); // the diagonal holds the entropy
    }

    [Fact]
    public void Weights_define_the_joint_distribution()
    {
        // P = [[0.4, 0.1], [0.1, 0.4]] from item weights 4, 1, 1, 4.
        var a = new FeatureColumn(Cat("a"), [1, 1, 2, 2]);
        var b = new FeatureColumn(Cat("b"), [1, 2, 1, 2]);
        var mi = MutualInformation.Compute(Table(a, b), [4, 1, 1, 4]);
        var expected = 0.8 * Math.Log(0.4 / 0.25) + 0.2 * Math.Log(0.1 / 0.25);
        Assert.Equal(expected, mi[0, 1], 12);
        Assert.Equal(0.192745, mi[0, 1], 5);
    }

    [Fact]
    public void Multi_valued_bags_spread_an_items_mass_over_their_values()
    {
        // item 1: a=1, bag {x, y}; item 2: a=2, bag {z}. P(a1,x)=P(a1,y)=0.25, P(a2,z)=0.5 → MI = ln 2.
        var a = new FeatureColumn(Cat("a"), [1, 2]);
        var m = new FeatureColumn(Multi("m"), [0, 2, 3], [1, 2, 3]);
        var mi = MutualInformation.Compute(Table(a, m), [1, 1]);
        Assert.Equal(Math.Log(2), mi[0, 1], 12);
    }

    [Fact]
    public void Head_covers_the_requested_share_of_interactions()
    {
        // counts 50, 30, 10, 5, 5, 0: cumulative 50, 80 (≥ 80% of 100) → threshold 30.
        var s = new FrequencySlices([10, 50, 0, 30, 5, 5], 0.8);
        Assert.Equal(30, s.Threshold);
        Assert.Equal([false, true, false, true, false, false], s.IsHead);
        Assert.Equal(2, s.HeadItems);
        Assert.Equal(4, s.TailItems);
        Assert.Equal(0.8, s.HeadCoverage, 12);
        Assert.Contains("at least 30", s.Definition);
    }

    [Fact]
    public void Recall_at_k_counts_ranks_below_k_per_slice()
    {
        int[] ranks = [0, 9, 10, 49, 50, 99, -1, 3];
        var all = RecallAtK.Compute(ranks, [10, 50, 100]);
        Assert.Equal(3 / 8.0, all[10]);   // ranks 0, 9, 3
        Assert.Equal(5 / 8.0, all[50]);   // + 10, 49
        Assert.Equal(7 / 8.0, all[100]);  // + 50, 99
        var even = RecallAtK.Compute(ranks, [10], i => i % 2 == 0); // ranks 0, 10, 50, -1
        Assert.Equal(1 / 4.0, even[10]);
        Assert.Equal(0, RecallAtK.Compute(ranks, [10], _ => false)[10]);
    }
}
