using SslRec.Core.Vocab;

namespace SslRec.Tests.Core;

public class HyperLogLogTests
{
    // relative standard error of 2^12 registers: 1.04 / 64
    private const double Sigma = 1.04 / 64;

    private static HyperLogLog Sketch(int from, int to)
    {
        var s = new HyperLogLog();
        for (var i = from; i < to; i++) s.Add(VocabularyPartitioning.Hash($"user-{i}"));
        return s;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(5_000)]
    [InlineData(30_000)]
    [InlineData(300_000)]
    public void Estimates_exact_counts_within_three_standard_errors(int n)
    {
        var estimate = Sketch(0, n).Estimate();
        Assert.InRange(estimate, n * (1 - 3 * Sigma) - 0.5, n * (1 + 3 * Sigma) + 0.5);
    }

    [Fact]
    public void Repeats_do_not_count_and_merged_shards_count_their_union()
    {
        var once = Sketch(0, 50_000);
        var twice = Sketch(0, 50_000);
        twice.Merge(Sketch(0, 50_000));
        Assert.Equal(once.Estimate(), twice.Estimate());

        var a = Sketch(0, 150_000);
        a.Merge(Sketch(100_000, 250_000)); // overlapping shards: 250,000 distinct
        Assert.InRange(a.Estimate(), 250_000 * (1 - 3 * Sigma), 250_000 * (1 + 3 * Sigma));
        Assert.Equal(Sketch(0, 250_000).Registers, a.Registers); // max of registers is the sketch of the union
    }
}
