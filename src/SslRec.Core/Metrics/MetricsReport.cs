using System.Text.Json;
using System.Text.Json.Serialization;

namespace SslRec.Core.Metrics;

/// <summary>metrics.json as documented in DESIGN.md and the README (field names are a contract).</summary>
public sealed class MetricsReport
{
    [JsonPropertyName("recall")] public Dictionary<string, Dictionary<string, double>> Recall { get; set; } = new();
    [JsonPropertyName("slices")] public SliceInfo Slices { get; set; } = new();
    [JsonPropertyName("examples")] public ExampleCounts Examples { get; set; } = new();
    [JsonPropertyName("corpus_size")] public int CorpusSize { get; set; }
    [JsonPropertyName("config")] public Dictionary<string, object> Config { get; set; } = new();
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; set; }
    [JsonPropertyName("examples_per_second")] public double ExamplesPerSecond { get; set; }
    [JsonPropertyName("data_fraction")] public double DataFraction { get; set; } = 1.0;
    [JsonPropertyName("eval_seconds")] public double EvalSeconds { get; set; }
    [JsonPropertyName("final_loss")] public LossSnapshot? FinalLoss { get; set; }
    /// <summary>Embedding parameters as stored for serving (quantized tables as codes + codebooks).</summary>
    [JsonPropertyName("embedding_bytes")] public EmbeddingSize? EmbeddingBytes { get; set; }

    /// <summary>The product-quantized published item embeddings: their size and the recall their scores give.</summary>
    [JsonPropertyName("compact_items")] public CompactItemsInfo? CompactItems { get; set; }

    public sealed record CompactItemsInfo(
        [property: JsonPropertyName("bytes")] long Bytes,
        [property: JsonPropertyName("float32_bytes")] long Float32Bytes,
        [property: JsonPropertyName("recall_all")] Dictionary<string, double> RecallAll);

    public sealed record EmbeddingSize(
        [property: JsonPropertyName("query_tower")] long QueryTower,
        [property: JsonPropertyName("item_tower")] long ItemTower,
        [property: JsonPropertyName("full_query_tower")] long FullQueryTower,
        [property: JsonPropertyName("full_item_tower")] long FullItemTower)
    {
        [JsonIgnore] public long Total => QueryTower + ItemTower;
        /// <summary>Size relative to the same model with full float32 tables.</summary>
        [JsonIgnore] public double ShareOfFull => (double)Total / Math.Max(1, FullQueryTower + FullItemTower);
    }

    public sealed class SliceInfo
    {
        [JsonPropertyName("tail_definition")] public string TailDefinition { get; set; } = "";
        [JsonPropertyName("head_items")] public int HeadItems { get; set; }
        [JsonPropertyName("tail_items")] public int TailItems { get; set; }
        [JsonPropertyName("head_threshold")] public long HeadThreshold { get; set; }
        [JsonPropertyName("eval_head")] public long EvalHead { get; set; }
        [JsonPropertyName("eval_tail")] public long EvalTail { get; set; }
    }

    public sealed class ExampleCounts
    {
        [JsonPropertyName("train")] public long Train { get; set; }
        [JsonPropertyName("eval")] public long Eval { get; set; }
        /// <summary>Training examples the steps went through (epochs × train, fewer when max_steps stopped training early).</summary>
        [JsonPropertyName("seen")] public long Seen { get; set; }
        /// <summary>Held-out pairs the recall was measured on when capped (max_eval_queries); absent when all were.</summary>
        [JsonPropertyName("evaluated")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Evaluated { get; set; }
    }

    public sealed record LossSnapshot(
        [property: JsonPropertyName("total")] double Total,
        [property: JsonPropertyName("main")] double Main,
        [property: JsonPropertyName("ssl")] double Ssl);

    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static MetricsReport FromJson(string json) =>
        JsonSerializer.Deserialize<MetricsReport>(json, JsonOptions) ?? throw new InvalidDataException("empty metrics.json");

    public double RecallAt(string slice, int k) => Recall[slice][k.ToString(System.Globalization.CultureInfo.InvariantCulture)];
}
