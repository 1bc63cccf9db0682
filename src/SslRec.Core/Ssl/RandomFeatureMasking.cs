using SslRec.Core.Options;
using SslRec.Core.Util;

namespace SslRec.Core.Ssl;

/// <summary>
/// Random Feature Masking: a uniformly random half of the item features is masked in view 1, the rest in
/// view 2 (CFM's baseline: the same split without the correlation structure). Both views also apply
/// feature dropout.
/// </summary>
public sealed class RandomFeatureMasking : HalfMasking
{
    public override SslMode Mode => SslMode.Rfm;
    public override string Title => "random feature masking";
    public override string Help => "a random half of the item features is masked in one view, the rest in the other";

    public override IViewSampler Start(AugmentationInputs inputs) => new Sampler(inputs.Items.Count, inputs.DropRate);

    private sealed class Sampler(int featureCount, double dropRate) : IViewSampler
    {
        public ItemViews Sample(Rng rng)
        {
            if (featureCount < 2) throw new ArgumentException("random feature masking needs at least two item features");
            var order = Enumerable.Range(0, featureCount).ToArray();
            rng.Shuffle(order.AsSpan());
            return Complementary(featureCount, order.Take(featureCount / 2), dropRate);
        }
    }
}
