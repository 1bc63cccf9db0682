using SslRec.Core.Options;
using SslRec.Core.Statistics;
using SslRec.Core.Util;

namespace SslRec.Core.Ssl;

/// <summary>
/// An SSL augmentation: how the two views of an SSL item differ (Yao et al. 2021, §3.2). Each is one class
/// deriving from this, found by <see cref="SslAugmentations"/> (which the `--ssl` help, the option's checks
/// and the schema check read), selected by its <see cref="Mode"/>, and declaring what it needs of the data.
/// It lives in Core, free of TorchSharp, because the drop stage checks its requirements before any GPU is
/// involved; the trainer turns its views into feature batches.
/// </summary>
public abstract class SslAugmentation
{
    /// <summary>The `--ssl` value (and retrain override) that selects it.</summary>
    public abstract SslMode Mode { get; }

    public string Name => Mode.ToString().ToLowerInvariant();

    /// <summary>What it is called in messages, e.g. "feature dropout".</summary>
    public abstract string Title { get; }

    /// <summary>How its views differ, in one line of `--ssl` help.</summary>
    public abstract string Help { get; }

    /// <summary>Item features the schema must declare for it, checked at the drop and before training (0: any schema).</summary>
    public virtual int MinItemFeatures => 0;

    /// <summary>Why it needs <see cref="MinItemFeatures"/>, as the refusal says it: "masks half of the item features".</summary>
    public virtual string MinItemFeaturesReason => "";

    /// <summary>Whether its views read the item features' mutual information: then it is computed before the first step.</summary>
    public virtual bool NeedsMutualInformation => false;

    /// <summary>The view sampler of one training on this data.</summary>
    public abstract IViewSampler Start(AugmentationInputs inputs);
}

/// <summary>What an augmentation may read when a training starts.</summary>
/// <param name="Items">the item features and their statistics (mutual information is computed on first use)</param>
/// <param name="DropRate">feature dropout on multi-valued features (<see cref="TrainingOptions.DropoutRate"/>)</param>
public sealed record AugmentationInputs(ItemFeatureStatistics Items, double DropRate);

/// <summary>One view of the SSL items: the item features it hides for the whole batch, and its feature-dropout rate on multi-valued features.</summary>
public sealed record ItemView(bool[] Masked, double DropRate);

/// <summary>The two views of one SSL batch.</summary>
public sealed record ItemViews(ItemView First, ItemView Second);

/// <summary>
/// Draws each SSL batch's views. Every random choice comes from <paramref name="rng"/>, the step's
/// generator, so a run resumed from a checkpoint draws the same views as one that never stopped.
/// </summary>
public interface IViewSampler
{
    ItemViews Sample(Rng rng);
}
