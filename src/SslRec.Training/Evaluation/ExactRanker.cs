using TorchSharp;
using static TorchSharp.torch;

namespace SslRec.Training.Evaluation;

/// <summary>
/// Exact full-corpus retrieval, no approximation: scores are inner products of every query with every
/// item, computed in blocks so memory stays bounded whatever the corpus size.
/// </summary>
public static class ExactRanker
{
    /// <summary>Score-matrix elements per block (2^26 floats = 256 MiB).</summary>
    private const long BlockElements = 1L << 26;

    /// <summary>
    /// The 0-based rank of each query's target among all items: the number of other items that score
    /// strictly higher. Recall@K counts ranks below K.
    /// </summary>
    public static int[] Ranks(Tensor queries, Tensor items, ReadOnlySpan<int> targets, int queryChunk = 1024, long blockElements = BlockElements)
    {
        var n = (int)queries.shape[0];
        var m = items.shape[0];
        var ranks = new int[n];
        var itemBlock = Math.Max(1, blockElements / queryChunk);
        var targetTensor = tensor(targets.ToArray().Select(t => (long)t).ToArray(), device: queries.device);
        using var _ = no_grad();
        for (var q0 = 0; q0 < n; q0 += queryChunk)
        {
            using var scope = NewDisposeScope();
            var qn = Math.Min(queryChunk, n - q0);
            var q = queries.narrow(0, q0, qn);
            var t = targetTensor.narrow(0, q0, qn);
            var targetScore = q.mul(items.index_select(0, t)).sum(1, keepdim: true);
            var higher = zeros(qn, dtype: ScalarType.Int64, device: queries.device);
            for (long i0 = 0; i0 < m; i0 += itemBlock)
            {
                var bn = Math.Min(itemBlock, m - i0);
                var scores = q.mm(items.narrow(0, i0, bn).t());
                var above = scores.gt(targetScore);
                // The target's own column can come out a hair above its separately computed score; never count it.
                var inBlock = t.ge(i0).logical_and(t.lt(i0 + bn));
                var local = (t - i0).clamp(0, bn - 1).unsqueeze(1);
                var self = above.gather(1, local).squeeze(1).logical_and(inBlock);
                higher.add_(above.sum(1) - self.to(ScalarType.Int64));
            }
            var chunk = higher.cpu().data<long>().ToArray();
            for (var i = 0; i < qn; i++) ranks[q0 + i] = (int)chunk[i];
        }
        targetTensor.Dispose();
        return ranks;
    }

    /// <summary>
    /// Exact top-k items by inner product for every query: blocked matrix products over the corpus, each
    /// block's top k merged into a running top k, so memory stays at one block of scores per query chunk.
    /// Returns row-major [queries × k] indices and scores, best first.
    /// </summary>
    public static (long[] Indices, float[] Scores) TopK(Tensor queries, Tensor items, int k, int queryChunk = 1024, long blockElements = BlockElements)
    {
        var n = (int)queries.shape[0];
        var m = items.shape[0];
        k = (int)Math.Min(k, m);
        var indices = new long[(long)n * k];
        var scores = new float[(long)n * k];
        var itemBlock = Math.Max(k, blockElements / queryChunk);
        using var _ = no_grad();
        for (var q0 = 0; q0 < n; q0 += queryChunk)
        {
            using var scope = NewDisposeScope();
            var qn = Math.Min(queryChunk, n - q0);
            var q = queries.narrow(0, q0, qn);
            Tensor? bestScores = null, bestIndices = null;
            for (long i0 = 0; i0 < m; i0 += itemBlock)
            {
                var bn = Math.Min(itemBlock, m - i0);
                var (blockScores, blockIndices) = q.mm(items.narrow(0, i0, bn).t()).topk((int)Math.Min(k, bn), dim: 1);
                blockIndices = blockIndices + i0;
                if (bestScores is null)
                {
                    (bestScores, bestIndices) = (blockScores, blockIndices);
                    continue;
                }
                var (merged, at) = cat([bestScores, blockScores], 1).topk(k, dim: 1);
                bestIndices = cat([bestIndices!, blockIndices], 1).gather(1, at);
                bestScores = merged;
            }
            bestIndices!.cpu().data<long>().CopyTo(indices, checked(q0 * k));
            bestScores!.cpu().data<float>().CopyTo(scores, checked(q0 * k));
        }
        return (indices, scores);
    }
}
