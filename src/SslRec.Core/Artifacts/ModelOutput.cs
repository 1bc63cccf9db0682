namespace SslRec.Core.Artifacts;

/// <summary>
/// The one layout of what training produces, used by training (`sslrec train --out`, the train stage),
/// the publish stage and the readers (`sslrec recommend`): every file name, and which files a published
/// version holds. Blob prefixes (runs/{run}/candidate/, embeddings/{model}/{version}/) are the pipeline's
/// BlobLayout; below a prefix, names are these.
/// </summary>
public static class ModelOutput
{
    /// <summary>Recall@K (all/head/tail), serving sizes, data report.</summary>
    public const string Metrics = "metrics.json";
    public const string Losses = "loss.csv";
    public const string Report = "report.md";
    public const string FeatureMutualInformation = "feature_mi.json";
    public const string LossPlot = "loss.png";
    public const string RecallPlot = "recall.png";

    /// <summary>Item embeddings: row-major float32, little-endian.</summary>
    public const string Vectors = "items.f32";
    /// <summary>One item key per row of <see cref="Vectors"/>.</summary>
    public const string Ids = "ids.txt";
    /// <summary>Product-quantization codes (G bytes per item), their codebook and their shapes.</summary>
    public const string Codes = "items.pq";
    public const string Codebook = "items.pq.codebook.f32";
    public const string CompactInfo = "items.pq.json";
    /// <summary>Every embedding file a version may hold, in the order a reader needs them.</summary>
    public static readonly string[] EmbeddingFiles = [Vectors, Ids, Codes, Codebook, CompactInfo];

    /// <summary>Where a training run writes the embedding files (a candidate and a published version hold them at their root).</summary>
    public const string EmbeddingsFolder = "embeddings";
    /// <summary>The query tower alone: what serving needs to encode queries (published).</summary>
    public const string QueryTowerFolder = "query_tower";
    /// <summary>Both towers: kept with the run for warm starts, never published.</summary>
    public const string ModelFolder = "model";

    /// <summary>The reports a candidate holds besides embeddings and towers.</summary>
    public static readonly string[] ReportFiles = [Metrics, Losses, Report, FeatureMutualInformation, LossPlot, RecallPlot];

    /// <summary>Whether a candidate file (path relative to the candidate, '/'-separated) is published.</summary>
    public static bool IsPublished(string relativePath) => !relativePath.StartsWith(ModelFolder + "/", StringComparison.Ordinal);

    public static bool IsQueryTowerFile(string relativePath) => relativePath.StartsWith(QueryTowerFolder + "/", StringComparison.Ordinal);
}
