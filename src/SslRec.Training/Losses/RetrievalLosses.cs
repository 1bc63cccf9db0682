using TorchSharp;
using static TorchSharp.torch;

namespace SslRec.Training.Losses;

/// <summary>The losses of Yao et al. (2021) and the spread-out baseline, on L2-normalised embeddings.</summary>
public static class RetrievalLosses
{
    /// <summary>
    /// Batch softmax with sampling-bias correction: logits s(q_i, x_j)/τ − log P(x_j) over the batch's
    /// items; the positive of query i is item i. Another row with the same item as row i is not a
    /// negative for i (accidental hit) and is removed from its softmax.
    /// </summary>
    /// <param name="q">[B, d] query embeddings</param>
    /// <param name="x">[B, d] item embeddings (row i is the positive of query i)</param>
    /// <param name="logQ">[B] log sampling probability of each item</param>
    /// <param name="itemIds">[B] item identities for accidental-hit removal (null to skip)</param>
    public static Tensor BatchSoftmax(Tensor q, Tensor x, Tensor logQ, Tensor? itemIds, double tau)
    {
        var logits = q.mm(x.t()).div(TorchScalars.Of(tau)).sub(logQ.unsqueeze(0));
        logits = MaskAccidentalHits(logits, itemIds);
        return nn.functional.cross_entropy(logits, arange(TorchScalars.Of(q.shape[0]), dtype: ScalarType.Int64, device: q.device));
    }

    /// <summary>
    /// SSL contrastive loss: z1[i] and z2[i] are two views of item i, the other items' second views are
    /// the negatives: −(1/N) Σ log softmax_j(s(z1_i, z2_j)/τ)[i]. Duplicated items are not negatives of each other.
    /// </summary>
    public static Tensor InfoNce(Tensor z1, Tensor z2, double tau, Tensor? itemIds = null)
    {
        var logits = MaskAccidentalHits(z1.mm(z2.t()).div(TorchScalars.Of(tau)), itemIds);
        return nn.functional.cross_entropy(logits, arange(TorchScalars.Of(z1.shape[0]), dtype: ScalarType.Int64, device: z1.device));
    }

    /// <summary>
    /// Spread-out regulariser (Zhang et al. 2017, global orthogonal regularisation) on embeddings of
    /// random, non-matching items: M1² + max(0, M2 − 1/d), where M1 and M2 are the mean and the mean
    /// square of the inner products of distinct pairs. Uniformly spread unit vectors have M1 ≈ 0, M2 ≈ 1/d.
    /// </summary>
    public static Tensor SpreadOut(Tensor x)
    {
        var n = x.shape[0];
        var d = x.shape[1];
        var gram = x.mm(x.t());
        var offDiagonal = ones(n, n, dtype: ScalarType.Bool, device: x.device).logical_xor(eye(n, dtype: ScalarType.Bool, device: x.device));
        var pairs = gram.masked_select(offDiagonal);
        var m1 = pairs.mean();
        var m2 = pairs.mul(pairs).mean(); // not square(): TorchSharp's square() is pow(2) with a temporary Scalar
        return m1.mul(m1).add(nn.functional.relu(m2.sub(TorchScalars.Of(1.0 / d))), TorchScalars.One);
    }

    private static Tensor MaskAccidentalHits(Tensor logits, Tensor? ids)
    {
        if (ids is null) return logits;
        var n = ids.shape[0];
        var same = ids.unsqueeze(1).eq(ids.unsqueeze(0)).logical_and(eye(n, dtype: ScalarType.Bool, device: ids.device).logical_not());
        return logits.masked_fill(same, TorchScalars.NegativeInfinity);
    }
}
