namespace SslRec.Pipeline.Storage;

/// <summary>Containers and blob names (DESIGN.md "Published embeddings" and "The flow").</summary>
public static class BlobLayout
{
    public const string Datasets = "datasets";
    public const string Artifacts = "artifacts";
    public const string Embeddings = "embeddings";
    public static readonly string[] Containers = [Datasets, Artifacts, Embeddings];

    public const string ReadyMarker = "_READY";

    // datasets/{name}/{version}/...
    public static string DatasetPrefix(string dataset, string version) => $"{dataset}/{version}/";
    public static string ReadyBlob(string dataset, string version) => $"{dataset}/{version}/{ReadyMarker}";

    // artifacts/runs/{run}/...
    public static string Run(string runId) => $"runs/{runId}/run.json";
    public static string ShardPrefix(string runId) => $"runs/{runId}/shards/";
    /// <summary>A map shard's dictionaries and counts (read by the vocabulary reduce); written last, so it marks the shard done.</summary>
    public static string ShardVocabulary(string runId, int index) => $"runs/{runId}/shards/{index:D5}.vocab.bin";
    public const string ShardVocabularySuffix = ".vocab.bin";
    /// <summary>A map shard's rows in local ids (read by its remap).</summary>
    public static string ShardRows(string runId, int index) => $"runs/{runId}/shards/{index:D5}.rows.bin";
    /// <summary>A map shard's partitioned features' values ordered by hash, with offsets by hash prefix (read by byte range by each reduce partition).</summary>
    public static string ShardKeys(string runId, int index) => $"runs/{runId}/shards/{index:D5}.keys.bin";
    /// <summary>A map shard's item entries beside its item keys' (held-out rows, first rows, the items' features), with offsets by hash prefix (read by byte range by each reduce partition).</summary>
    public static string ShardItems(string runId, int index) => $"runs/{runId}/shards/{index:D5}.items.bin";
    /// <summary>A map shard's distinct-count sketches of the partitioned features (read by the reduce's planner).</summary>
    public static string ShardSketch(string runId, int index) => $"runs/{runId}/shards/{index:D5}.sketch.bin";
    /// <summary>Reduce partition k's kept values of each partitioned feature, in id order, with counts.</summary>
    public static string VocabularySlice(string runId, int partition) => $"runs/{runId}/encoded/vocab/{partition:D4}.slice.bin";
    /// <summary>Reduce partition k's slice of the corpus (its items, their features, their item-feature dictionaries; read by the header step).</summary>
    public static string VocabularyCorpus(string runId, int partition) => $"runs/{runId}/encoded/vocab/{partition:D4}.corpus.bin";
    /// <summary>Reduce partition k's id maps, one section per interaction shard (read by byte range by each remap).</summary>
    public static string VocabularyMaps(string runId, int partition) => $"runs/{runId}/encoded/vocab/{partition:D4}.maps.bin";
    /// <summary>Reduce partition k's sizes, written after its slice and maps: marks the partition done.</summary>
    public static string VocabularyPartitionDone(string runId, int partition) => $"runs/{runId}/encoded/vocab/{partition:D4}.json";
    public static string VocabularyPrefix(string runId) => $"runs/{runId}/encoded/vocab/";
    /// <summary>An interaction shard's values of query features tied to a non-key item feature → merged ids (the header step's, read by the shard's remap).</summary>
    public static string ShardItemMaps(string runId, int index) => $"runs/{runId}/encoded/items/{index:D5}.maps.bin";
    /// <summary>What every remap reads besides its shard's maps: schema, partition layout, corpus offsets, tied features' merged id → global id (written before the header).</summary>
    public static string RemapTables(string runId) => $"runs/{runId}/encoded/remap.bin";
    /// <summary>Vocabularies, item corpus and read report (the vocabulary reduce's output).</summary>
    public static string DatasetHeader(string runId) => $"runs/{runId}/encoded/header.bin";
    public static string TrainPart(string runId, int index) => $"runs/{runId}/encoded/train/{index:D5}.bin";
    public static string EvalPart(string runId, int index) => $"runs/{runId}/encoded/eval/{index:D5}.bin";
    /// <summary>A remap's row counts, written after its parts: marks the shard remapped.</summary>
    public static string PartPrefix(string runId) => $"runs/{runId}/encoded/parts/";
    public static string Part(string runId, int index) => $"runs/{runId}/encoded/parts/{index:D5}.json";
    public static string Statistics(string runId) => $"runs/{runId}/encoded/stats.json";
    public static string CheckpointPrefix(string runId) => $"runs/{runId}/checkpoints/";
    public static string CandidatePrefix(string runId) => $"runs/{runId}/candidate/";
    /// <summary>One marker per message a stage is working on, rewritten every few seconds (the run watchdog's heartbeat).</summary>
    public static string InFlightPrefix(string runId) => $"runs/{runId}/inflight/";
    public static string InFlight(string runId, string stage, string messageId) => $"runs/{runId}/inflight/{stage}.{messageId}.json";
    // artifacts/active/{run}: runs not yet published, rejected or failed (what the run watchdog looks at)
    public const string ActivePrefix = "active/";
    public static string Active(string runId) => $"{ActivePrefix}{runId}";

    // embeddings/{model}/...
    public static string VersionPrefix(string model, string version) => $"{model}/{version}/";
    public static string Manifest(string model, string version) => $"{model}/{version}/manifest.json";
    public static string Latest(string model) => $"{model}/latest.json";
    public static string Notified(string model, string version) => $"{model}/{version}/_notified";

    /// <summary>
    /// The dataset version a blob named _READY (inside the datasets container) marks complete, or why its
    /// path breaks the naming rule (<see cref="DatasetNames"/>); null for any other blob.
    /// </summary>
    public static DatasetVersionMarker? ParseReady(string blobName)
    {
        if (blobName != ReadyMarker && !blobName.EndsWith("/" + ReadyMarker, StringComparison.Ordinal)) return null;
        var parts = blobName.Split('/');
        if (parts.Length != 3)
            return new(blobName, "", "", $"a dataset version is marked complete by {Datasets}/{{dataset}}/{{version}}/{ReadyMarker} (one folder for the dataset, one for the version), and this {ReadyMarker} is {parts.Length - 1} folder(s) deep");
        string? problem = null;
        if (!DatasetNames.IsValid(parts[0])) problem = DatasetNames.Refusal("dataset", parts[0]);
        else if (!DatasetNames.IsValid(parts[1])) problem = DatasetNames.Refusal("version", parts[1]);
        return new(blobName, parts[0], parts[1], problem);
    }
}

/// <summary>A _READY blob: the dataset version it marks complete, or (Problem) why it cannot be processed.</summary>
public sealed record DatasetVersionMarker(string Blob, string Dataset, string Version, string? Problem)
{
    public bool IsValid => Problem is null;
}
