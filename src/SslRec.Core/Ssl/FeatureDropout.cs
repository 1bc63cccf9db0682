using SslRec.Core.Options;
using SslRec.Core.Util;

namespace SslRec.Core.Ssl;

/// <summary>
/// Feature dropout alone: no feature is masked, and the two views differ only by the values each drops
/// from multi-valued item features (independently, at <see cref="AugmentationInputs.DropRate"/>). Works
/// with any schema; on one without multi-valued item features its views are identical.
/// </summary>
public sealed class FeatureDropout : SslAugmentation
{
    public override SslMode Mode => SslMode.Fd;
    public override string Title => "feature dropout";
    public override string Help => "nothing is masked; each view drops values of multi-valued item features at --dropout";

    public override IViewSampler Start(AugmentationInputs inputs) => new Sampler(inputs.Items.Count, inputs.DropRate);

    private sealed class Sampler(int featureCount, double dropRate) : IViewSampler
    {
        public ItemViews Sample(Rng rng) => new(new ItemView(new bool[featureCount], dropRate), new ItemView(new bool[featureCount], dropRate));
    }
}
