using System.Text.Json.Serialization;

namespace SslRec.Core.Schema;

public enum FeatureType
{
    /// <summary>One value per row (e.g. an id or a category).</summary>
    Categorical,
    /// <summary>A bag of values separated by <see cref="FeatureSpec.Separator"/>, pooled by mean.</summary>
    Multi,
}

public enum FeatureSide { Query, Item }

/// <summary>One column of the dataset as declared in schema.json.</summary>
public sealed record FeatureSpec
{
    public const int DefaultMinCount = 2;
    public const int DefaultOovBuckets = 16;

    public required string Name { get; init; }
    public required FeatureType Type { get; init; }
    public required FeatureSide Side { get; init; }

    /// <summary>The item key identifies an item of the corpus (exactly one item feature has it).</summary>
    public bool Key { get; init; }

    /// <summary>Separator of a multi-valued feature's values in delimited text.</summary>
    public char Separator { get; init; } = '|';

    /// <summary>Values seen fewer times than this in training data share hashed out-of-vocabulary ids.</summary>
    public int MinCount { get; init; } = DefaultMinCount;

    /// <summary>How many hashed ids rare and unseen values are spread over (trained like any other id).</summary>
    public int OovBuckets { get; init; } = DefaultOovBuckets;

    /// <summary>
    /// For a query feature: the item feature whose vocabulary and embedding table it shares (same entity on
    /// both sides, e.g. a source page and a linked page). The tied pair uses the item feature's min_count
    /// and oov_buckets.
    /// </summary>
    public string? Shares { get; init; }

    [JsonIgnore]
    public bool IsMulti => Type == FeatureType.Multi;
}

/// <summary>Deterministic hold-out split: a row is held out when the hash of its declared values (<see cref="Data.SplitKey"/>) with the seed falls below the fraction.</summary>
public sealed record SplitSpec(double HoldoutFraction = 0.1, ulong Seed = 42);
