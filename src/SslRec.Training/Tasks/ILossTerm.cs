using SslRec.Core.Util;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Training.Tasks;

/// <summary>
/// A weighted term of the training loss beside the main task (batch softmax): the SSL task, the spread-out
/// regulariser. The trainer sums them: total = main + Σ weight × term.
/// </summary>
internal interface ILossTerm
{
    /// <summary>Its weight in the total (α for SSL); a term of weight 0 is not created at all.</summary>
    double Weight { get; }

    /// <summary>The column of the loss history that records it.</summary>
    LossTermKind Kind { get; }

    /// <summary>
    /// A step's host-side work, before the step's table rows are gathered: draws the term's items from the
    /// step's generator (terms draw in a fixed order, so a resumed run draws the same) and builds their
    /// feature batches; returns the forward pass, which computes the term once the rows are gathered.
    /// </summary>
    Func<TwoTowerModel, Tensor> Assemble(StepInputs step);
}

/// <summary>The loss-history columns a term can fill (loss.csv, checkpoints).</summary>
internal enum LossTermKind { Ssl, SpreadOut }

/// <summary>What a step gives its terms: its generator and, with row-wise tables, the item tower's slots for the rows it touches.</summary>
internal sealed record StepInputs(Rng Rng, SparseTable?[]? ItemSlots);
