using SslRec.Training.Evaluation;
using static TorchSharp.torch;

namespace SslRec.Tests.Training;

public class ExactRankerTests
{
    [Fact]
    public void Ranks_on_a_hand_built_corpus()
    {
        using var scope = NewDisposeScope(); // owns the test's temporaries while libtorch reads them: other tests force collections (README, "Native memory safety")
        // query (1, 0) scores the items 1, 0.8, 0, −1, 0.6
        var items = tensor(new float[] { 1, 0, 0.8f, 0.6f, 0, 1, -1, 0, 0.6f, 0.8f }, [5, 2]);
        var queries = tensor(new float[] { 1, 0, 1, 0, 1, 0, 0, 1 }, [4, 2]);
        var ranks = ExactRanker.Ranks(queries, items, [2, 0, 3, 4]);
        Assert.Equal(ranks, ExactRanker.Ranks(queries, items, [2, 0, 3, 4], countOnHost: false));
        // item 2 (score 0) is beaten by 1, 0.8, 0.6 → rank 3; item 0 is first; item 3 last;
        // query (0, 1) scores 0, 0.6, 1, 0, 0.8 → item 4 ranks second
        Assert.Equal([3, 0, 4, 1], ranks);
    }

    [Theory]
    [InlineData(true)]   // the CPU path: SIMD counts on the host
    [InlineData(false)]  // the GPU path (tensor ops), run here on the CPU
    public void Blocked_computation_agrees_with_brute_force(bool countOnHost)
    {
        using var scope = NewDisposeScope(); // owns the test's temporaries while libtorch reads them: other tests force collections (README, "Native memory safety")
        random.manual_seed(3);
        var items = nn.functional.normalize(randn(301, 8), p: 2, dim: 1);
        var queries = nn.functional.normalize(randn(37, 8), p: 2, dim: 1);
        var targets = Enumerable.Range(0, 37).Select(i => (i * 7) % 301).ToArray();
        var scores = queries.mm(items.t()).data<float>().ToArray();
        var expected = targets.Select((t, q) => Enumerable.Range(0, 301).Count(j => j != t && scores[q * 301 + j] > scores[q * 301 + t])).ToArray();
        Assert.Equal(expected, ExactRanker.Ranks(queries, items, targets, countOnHost: countOnHost));
        // tiny blocks: 5 queries per chunk, 10 items per block → many partial blocks on both axes
        Assert.Equal(expected, ExactRanker.Ranks(queries, items, targets, queryChunk: 5, blockElements: 50, countOnHost: countOnHost));
    }
}

public class ExactTopKTests
{
    [Fact]
    public void Top_k_matches_a_full_sort_also_across_blocks()
    {
        using var scope = NewDisposeScope(); // owns the test's temporaries while libtorch reads them: other tests force collections (README, "Native memory safety")
        random.manual_seed(9);
        var items = randn(997, 16);
        var queries = randn(23, 16);
        var scores = queries.mm(items.t()).data<float>().ToArray();
        // one block; many blocks of 40 items; blocks of 400 (grouped selection with leftover columns) —
        // each with host heaps (the CPU path) and with per-block device selection (the GPU path, run here on CPU tensors)
        foreach (var (chunk, block, onHost) in new[] { (1024, 1L << 26, true), (5, 5L * 40, true), (7, 7L * 400, true), (1024, 1L << 26, false), (5, 5L * 40, false), (7, 7L * 400, false) })
        {
            var (indices, top) = SslRec.Training.Evaluation.ExactRanker.TopK(queries, items, 10, chunk, block, onHost);
            for (var q = 0; q < 23; q++)
            {
                var expected = Enumerable.Range(0, 997).OrderByDescending(j => scores[q * 997 + j]).Take(10).Select(j => (long)j).ToArray();
                Assert.Equal(expected, indices[(q * 10)..(q * 10 + 10)]);
                Assert.Equal(scores[q * 997 + (int)expected[0]], top[q * 10], 4);
            }
        }
    }
}
