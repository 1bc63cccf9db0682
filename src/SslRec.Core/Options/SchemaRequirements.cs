using SslRec.Core.Schema;
using SslRec.Core.Ssl;

namespace SslRec.Core.Options;

/// <summary>
/// What training options ask of a dataset's schema, checked where the schema is first read (the drop and
/// retrain edge, `sslrec train`) so that a run that can never train fails at once, naming the fix, instead
/// of on the GPU after the whole data path ran. The SSL augmentation declares what it needs.
/// </summary>
public static class SchemaRequirements
{
    private static readonly string[] Counts = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

    public static void Check(TrainingOptions options, DatasetSchema schema, string schemaFile)
    {
        var items = schema.Item.Count;
        if (SslAugmentations.For(options.Ssl) is not { } ssl || items >= ssl.MinItemFeatures) return;
        var alternatives = SslAugmentations.All.Where(a => a.MinItemFeatures <= items).Select(a => $"ssl={a.Name} ({a.Title}) or ");
        throw new SchemaException(schemaFile,
            $"ssl {ssl.Name} {ssl.MinItemFeaturesReason} and needs at least {Count(ssl.MinItemFeatures)}; the schema declares {items} " +
            $"({string.Join(", ", schema.Item.Select(f => f.Name))}): add item features, or train with {string.Concat(alternatives)}ssl=none");
    }

    private static string Count(int n) => n < Counts.Length ? Counts[n] : n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
