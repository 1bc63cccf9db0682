using SslRec.Core.Schema;

namespace SslRec.Core.Options;

/// <summary>
/// What training options ask of a dataset's schema, checked where the schema is first read (the drop and
/// retrain edge, `sslrec train`) so that a run that can never train fails at once, naming the fix, instead
/// of on the GPU after the whole data path ran.
/// </summary>
public static class SchemaRequirements
{
    public static void Check(TrainingOptions options, DatasetSchema schema, string schemaFile)
    {
        var items = schema.Item.Count;
        if (options.Ssl is SslMode.Cfm or SslMode.Rfm && items < 2)
            throw new SchemaException(schemaFile,
                $"ssl {options.Ssl.ToString().ToLowerInvariant()} masks half of the item features and needs at least two; the schema declares {items} " +
                $"({string.Join(", ", schema.Item.Select(f => f.Name))}): add item features, or train with ssl=fd (feature dropout) or ssl=none");
    }
}
