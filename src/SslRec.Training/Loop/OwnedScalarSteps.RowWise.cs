using TorchSharp;
using static TorchSharp.torch;

namespace SslRec.Training.Loop;

/// <summary>
/// The row-wise updates of embedding tables (<see cref="RowWiseOptimizer"/>): each reads the touched rows
/// of the table and of its state, updates them, and writes them back with index_copy_ — the cost follows
/// the rows touched, not the vocabulary. Scalars as in the dense steps: constants from TorchScalars, the
/// ones that change every step owned by `using` until the native calls that read them have returned.
/// </summary>
public static partial class OwnedScalarSteps
{
    /// <summary>
    /// Lazy Adam on the touched rows: their moments are updated with the rows' gradient and the rows move;
    /// untouched rows and their moments stay as they are (dense Adam would decay their moments and keep
    /// moving them). Bias correction uses the optimizer's global step count <paramref name="step"/> (the
    /// number of steps taken, this one included), as TensorFlow Addons' LazyAdam and PyTorch's SparseAdam
    /// do — not a per-row count. The arithmetic per element is dense Adam's (<see cref="AdamUpdate"/>),
    /// in the same order.
    /// </summary>
    /// <param name="table">the full table [V × D]</param>
    /// <param name="ids">the touched rows' ids [U], each once</param>
    /// <param name="rows">the touched rows' current values [U × D] (updated in place, then written back)</param>
    /// <param name="grad">the touched rows' gradient [U × D]</param>
    /// <param name="expAvg">first moments [V × D]</param>
    /// <param name="expAvgSq">second moments [V × D]</param>
    public static void LazyAdamRows(Tensor table, Tensor ids, Tensor rows, Tensor grad, Tensor expAvg, Tensor expAvgSq,
        long step, double lr, double beta1, double beta2, double eps)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var biasCorrection1 = 1 - Math.Pow(beta1, step);
        var biasCorrection2 = 1 - Math.Pow(beta2, step);
        var m = expAvg.index_select(0, ids).mul_(TorchScalars.Of(beta1)).add_(grad, TorchScalars.Of(1 - beta1));
        var v = expAvgSq.index_select(0, ids).mul_(TorchScalars.Of(beta2)).addcmul_(grad, grad, TorchScalars.Of(1 - beta2));
#pragma warning disable RS0030 // owned: disposed by `using` after the native calls that read them
        using var sqrtBiasCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
        using var stepSize = (-(lr / biasCorrection1)).ToScalar();
#pragma warning restore RS0030
        var denominator = v.sqrt().div_(sqrtBiasCorrection2).add_(TorchScalars.Of(eps), TorchScalars.One);
        var updated = rows.detach().addcdiv_(m, denominator, stepSize);
        expAvg.index_copy_(0, ids, m);
        expAvgSq.index_copy_(0, ids, v);
        table.index_copy_(0, ids, updated);
    }

    /// <summary>
    /// Row-wise Adagrad (TorchRec's RowWiseAdagrad, FBGEMM's EXACT_ROWWISE_ADAGRAD): one accumulator per
    /// row, which adds the mean of the row's squared gradient; the row moves by −lr · g / (√sum + eps).
    /// Untouched rows and their accumulators stay as they are.
    /// </summary>
    /// <param name="sum">accumulators [V]</param>
    public static void RowwiseAdagradRows(Tensor table, Tensor ids, Tensor rows, Tensor grad, Tensor sum, double lr, double eps)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var s = sum.index_select(0, ids).add_(grad.mul(grad).mean([1]), TorchScalars.One);
        var std = s.sqrt().add_(TorchScalars.Of(eps), TorchScalars.One).unsqueeze(1);
        var updated = rows.detach().addcdiv_(grad, std, TorchScalars.Of(-lr));
        sum.index_copy_(0, ids, s);
        table.index_copy_(0, ids, updated);
    }
}
