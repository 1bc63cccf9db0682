namespace SslRec.Pipeline;

/// <summary>
/// The one table of queue names (constants, because trigger attributes need them); which stage reads each
/// is <see cref="Stages.StageTable"/>. The Bicep's queue list is checked against <see cref="All"/>. Poison messages go to "{name}-poison" (the host's rule).
/// </summary>
public static class QueueNames
{
    /// <summary>BlobCreated events of datasets/{name}/{version}/_READY (Event Grid in Azure; `sslrec drop` locally).</summary>
    public const string Drop = "sslrec-drop";
    public const string ShardMap = "sslrec-shard-map";
    public const string ShardReduce = "sslrec-shard-reduce";
    public const string Remap = "sslrec-remap";
    /// <summary>Consumed by the GPU container job (`sslrec train-worker`), not by a function.</summary>
    public const string Train = "sslrec-train";
    public const string Publish = "sslrec-publish";
    public const string Retrain = "sslrec-retrain";
    /// <summary>Local stand-in for the Service Bus topic "embeddings-published".</summary>
    public const string Published = "sslrec-embeddings-published";

    public static readonly string[] All = [Drop, ShardMap, ShardReduce, Remap, Train, Publish, Retrain, Published];

    public static string Poison(string queue) => queue + "-poison";
}
