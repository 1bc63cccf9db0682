namespace SslRec.Core.Ssl;

/// <summary>The views of the masking augmentations: one masks a set of features, the other everything else.</summary>
internal static class ComplementaryHalves
{
    public static ItemViews Views(int featureCount, IEnumerable<int> maskedInFirst, double dropRate)
    {
        var first = new bool[featureCount];
        foreach (var f in maskedInFirst) first[f] = true;
        return new ItemViews(new ItemView(first, dropRate), new ItemView(first.Select(m => !m).ToArray(), dropRate));
    }
}
