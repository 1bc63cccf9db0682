using System.Text.Json;

namespace SslRec.Core.Schema;

/// <summary>
/// The dataset's schema.json: query features, item features (one of them the key), the hold-out split,
/// and columns to ignore. Every feature name is unique across both sides because each is one column.
/// </summary>
public sealed class DatasetSchema
{
    public const string FileName = "schema.json";

    public IReadOnlyList<FeatureSpec> Query { get; }
    public IReadOnlyList<FeatureSpec> Item { get; }
    public SplitSpec Split { get; }
    public IReadOnlySet<string> Ignore { get; }

    /// <summary>All features, query side first, then item side: the order of vocabularies and columns.</summary>
    public IReadOnlyList<FeatureSpec> All { get; }
    public FeatureSpec ItemKey { get; }
    public int ItemKeyIndex { get; }

    public DatasetSchema(IReadOnlyList<FeatureSpec> query, IReadOnlyList<FeatureSpec> item, SplitSpec split,
        IEnumerable<string>? ignore = null, string source = FileName)
    {
        Query = query;
        Item = item;
        Split = split;
        Ignore = new HashSet<string>(ignore ?? [], StringComparer.Ordinal);
        All = [.. query, .. item];
        Validate(source);
        ItemKeyIndex = item.ToList().FindIndex(f => f.Key);
        ItemKey = item[ItemKeyIndex];
    }

    private void Validate(string source)
    {
        if (Query.Count == 0) throw new SchemaException(source, "the schema declares no query features");
        if (Item.Count == 0) throw new SchemaException(source, "the schema declares no item features");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in All)
        {
            if (string.IsNullOrWhiteSpace(f.Name)) throw new SchemaException(source, "a feature has an empty name");
            if (!names.Add(f.Name)) throw new SchemaException(source, $"feature '{f.Name}' is declared twice (names must be unique across query and item)");
            if (Ignore.Contains(f.Name)) throw new SchemaException(source, $"feature '{f.Name}' is both declared and ignored");
            if (f.MinCount < 1) throw new SchemaException(source, $"feature '{f.Name}': min_count must be at least 1");
            if (f.OovBuckets < 1) throw new SchemaException(source, $"feature '{f.Name}': oov_buckets must be at least 1");
            if (f.Key && f.Side != FeatureSide.Item) throw new SchemaException(source, $"feature '{f.Name}': only an item feature can be the key");
            if (f.Key && f.IsMulti) throw new SchemaException(source, $"feature '{f.Name}': the item key must be categorical");
        }
        var tiedItems = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in All.Where(f => f.Shares is not null))
        {
            if (f.Side != FeatureSide.Query) throw new SchemaException(source, $"feature '{f.Name}': only a query feature can share an item feature's embeddings");
            var target = Item.FirstOrDefault(i => i.Name == f.Shares)
                         ?? throw new SchemaException(source, $"feature '{f.Name}': shares '{f.Shares}', which is not an item feature (item features: {string.Join(", ", Item.Select(i => i.Name))})");
            if (target.Type != f.Type)
                throw new SchemaException(source, $"feature '{f.Name}' ({Describe(f.Type)}) cannot share '{target.Name}' ({Describe(target.Type)}): tied features must have the same type");
            if (!tiedItems.TryAdd(target.Name, f.Name))
                throw new SchemaException(source, $"feature '{f.Name}': item feature '{target.Name}' is already shared by '{tiedItems[target.Name]}' (each item feature can be tied once)");
        }
        var keys = Item.Count(f => f.Key);
        if (keys != 1) throw new SchemaException(source, $"exactly one item feature must have \"key\": true (found {keys})");
        if (Split.HoldoutFraction is < 0 or >= 1 || double.IsNaN(Split.HoldoutFraction))
            throw new SchemaException(source, $"split.holdout_fraction must be in [0, 1) (got {Split.HoldoutFraction})");
    }

    private static string Describe(FeatureType t) => t == FeatureType.Multi ? "multi" : "categorical";

    /// <summary>
    /// For each feature (index into <see cref="All"/>), the index of the feature whose vocabulary and
    /// embedding table it uses: itself, or for a tied query feature, its item feature.
    /// </summary>
    public int TableOwner(int feature) => All[feature].Shares is { } shared ? IndexOf(shared) : feature;

    /// <summary>The same schema with every tie removed (the untied comparison of an experiment).</summary>
    public DatasetSchema Untied() => Query.Any(f => f.Shares is not null)
        ? new DatasetSchema(Query.Select(f => f with { Shares = null }).ToList(), Item, Split, Ignore)
        : this;

    public bool HasTies => Query.Any(f => f.Shares is not null);

    public int IndexOf(string name)
    {
        for (var i = 0; i < All.Count; i++)
            if (All[i].Name == name) return i;
        return -1;
    }

    public static DatasetSchema Load(string path)
    {
        if (!File.Exists(path)) throw new SchemaException(path, "file not found");
        return Parse(File.ReadAllText(path), path);
    }

    public static DatasetSchema Parse(string json, string source = FileName)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new SchemaException(source, $"invalid JSON: {e.Message}"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new SchemaException(source, "the top level must be a JSON object");
            foreach (var p in root.EnumerateObject())
                if (p.Name is not ("query" or "item" or "split" or "ignore"))
                    throw new SchemaException(source, $"unknown top-level field '{p.Name}' (expected query, item, split, ignore)");
            var query = ParseFeatures(root, "query", FeatureSide.Query, source);
            var item = ParseFeatures(root, "item", FeatureSide.Item, source);
            var split = new SplitSpec();
            if (root.TryGetProperty("split", out var s))
            {
                if (s.ValueKind != JsonValueKind.Object) throw new SchemaException(source, "'split' must be an object");
                foreach (var p in s.EnumerateObject())
                {
                    split = p.Name switch
                    {
                        "holdout_fraction" => split with { HoldoutFraction = ReadDouble(p.Value, source, "split.holdout_fraction") },
                        "seed" => split with { Seed = (ulong)ReadInt(p.Value, source, "split.seed") },
                        _ => throw new SchemaException(source, $"unknown field 'split.{p.Name}'"),
                    };
                }
            }
            var ignore = new List<string>();
            if (root.TryGetProperty("ignore", out var ig))
            {
                if (ig.ValueKind != JsonValueKind.Array) throw new SchemaException(source, "'ignore' must be an array of column names");
                foreach (var e in ig.EnumerateArray())
                    ignore.Add(e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new SchemaException(source, "'ignore' must contain strings"));
            }
            return new DatasetSchema(query, item, split, ignore, source);
        }
    }

    private static List<FeatureSpec> ParseFeatures(JsonElement root, string side, FeatureSide featureSide, string source)
    {
        if (!root.TryGetProperty(side, out var arr)) throw new SchemaException(source, $"missing '{side}' feature list");
        if (arr.ValueKind != JsonValueKind.Array) throw new SchemaException(source, $"'{side}' must be an array of features");
        var list = new List<FeatureSpec>();
        var index = 0;
        foreach (var f in arr.EnumerateArray())
        {
            var where = $"{side}[{index++}]";
            if (f.ValueKind != JsonValueKind.Object) throw new SchemaException(source, $"{where} must be an object");
            string? name = null, type = null, separator = null;
            bool key = false;
            string? shares = null;
            int minCount = FeatureSpec.DefaultMinCount, oov = FeatureSpec.DefaultOovBuckets;
            foreach (var p in f.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "name": name = ReadString(p.Value, source, $"{where}.name"); break;
                    case "type": type = ReadString(p.Value, source, $"{where}.type"); break;
                    case "separator": separator = ReadString(p.Value, source, $"{where}.separator"); break;
                    case "key": key = p.Value.ValueKind == JsonValueKind.True || (p.Value.ValueKind == JsonValueKind.False ? false : throw new SchemaException(source, $"{where}.key must be true or false")); break;
                    case "shares": shares = ReadString(p.Value, source, $"{where}.shares"); break;
                    case "min_count": minCount = (int)ReadInt(p.Value, source, $"{where}.min_count"); break;
                    case "oov_buckets": oov = (int)ReadInt(p.Value, source, $"{where}.oov_buckets"); break;
                    default: throw new SchemaException(source, $"{where}: unknown field '{p.Name}'");
                }
            }
            if (name is null) throw new SchemaException(source, $"{where}: missing 'name'");
            var featureType = type switch
            {
                "categorical" => FeatureType.Categorical,
                "multi" => FeatureType.Multi,
                null => throw new SchemaException(source, $"feature '{name}': missing 'type' (categorical or multi)"),
                _ => throw new SchemaException(source, $"feature '{name}': unknown type '{type}' (expected categorical or multi)"),
            };
            if (separator is not null && separator.Length != 1) throw new SchemaException(source, $"feature '{name}': separator must be one character");
            list.Add(new FeatureSpec
            {
                Name = name, Type = featureType, Side = featureSide, Key = key,
                Separator = separator?[0] ?? '|', MinCount = minCount, OovBuckets = oov, Shares = shares,
            });
        }
        return list;
    }

    private static string ReadString(JsonElement e, string source, string field) =>
        e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new SchemaException(source, $"{field} must be a string");

    private static long ReadInt(JsonElement e, string source, string field) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var v) ? v : throw new SchemaException(source, $"{field} must be an integer");

    private static double ReadDouble(JsonElement e, string source, string field) =>
        e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw new SchemaException(source, $"{field} must be a number");

    /// <summary>Writes the schema in the same format <see cref="Parse"/> reads.</summary>
    public string ToJson()
    {
        static object Feature(FeatureSpec f)
        {
            var d = new Dictionary<string, object> { ["name"] = f.Name, ["type"] = f.IsMulti ? "multi" : "categorical" };
            if (f.Key) d["key"] = true;
            if (f.Shares is not null) d["shares"] = f.Shares;
            if (f.IsMulti) d["separator"] = f.Separator.ToString();
            if (f.MinCount != FeatureSpec.DefaultMinCount) d["min_count"] = f.MinCount;
            if (f.OovBuckets != FeatureSpec.DefaultOovBuckets) d["oov_buckets"] = f.OovBuckets;
            return d;
        }
        var root = new Dictionary<string, object>
        {
            ["query"] = Query.Select(Feature).ToList(),
            ["item"] = Item.Select(Feature).ToList(),
            ["split"] = new Dictionary<string, object> { ["holdout_fraction"] = Split.HoldoutFraction, ["seed"] = Split.Seed },
        };
        if (Ignore.Count > 0) root["ignore"] = Ignore.Order(StringComparer.Ordinal).ToList();
        return JsonSerializer.Serialize(root, new JsonSerializerOptions { WriteIndented = true });
    }
}
