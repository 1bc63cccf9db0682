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
    public static string ShardPlanPrefix(string runId) => $"runs/{runId}/shards/";
    public static string Shard(string runId, int index) => $"runs/{runId}/shards/{index:D5}.bin";
    public static string EncodedDataset(string runId) => $"runs/{runId}/encoded/dataset.bin";
    public static string Statistics(string runId) => $"runs/{runId}/encoded/stats.json";
    public static string CheckpointPrefix(string runId) => $"runs/{runId}/checkpoints/";
    public static string CandidatePrefix(string runId) => $"runs/{runId}/candidate/";

    // embeddings/{model}/...
    public static string VersionPrefix(string model, string version) => $"{model}/{version}/";
    public static string Manifest(string model, string version) => $"{model}/{version}/manifest.json";
    public static string Latest(string model) => $"{model}/latest.json";
    public static string Notified(string model, string version) => $"{model}/{version}/_notified";

    /// <summary>Parses "{dataset}/{version}/_READY" (the blob name inside the datasets container).</summary>
    public static bool TryParseReady(string blobName, out string dataset, out string version)
    {
        dataset = version = "";
        var parts = blobName.Split('/');
        if (parts.Length != 3 || parts[2] != ReadyMarker || parts[0].Length == 0 || parts[1].Length == 0) return false;
        (dataset, version) = (parts[0], parts[1]);
        return true;
    }
}
