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
}
