namespace SslRec.Core.Ssl;

/// <summary>
/// What the masking augmentations share: view 1 masks a set of about half of the item features, view 2
/// masks the rest (so each view keeps what the other hides), and both apply feature dropout. Splitting
/// needs at least two features.
/// </summary>
public abstract class HalfMasking : SslAugmentation
{
    public sealed override int MinItemFeatures => 2;
    public sealed override string MinItemFeaturesReason => "masks half of the item features";

    protected static ItemViews Complementary(int featureCount, IEnumerable<int> maskedInFirst, double dropRate)
    {
        var first = new bool[featureCount];
        foreach (var f in maskedInFirst) first[f] = true;
        return new ItemViews(new ItemView(first, dropRate), new ItemView(first.Select(m => !m).ToArray(), dropRate));
    }
}
