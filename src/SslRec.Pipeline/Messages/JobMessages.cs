using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SslRec.Core.Input;
using SslRec.Core.Options;
using SslRec.Pipeline.Runs;

namespace SslRec.Pipeline.Messages;

/// <summary>
/// Queue messages between stages: versioned JSON ("v"). A reader refuses versions it does not know rather
/// than guessing, so a message from a newer deployment goes to the poison queue with a clear error instead
/// of doing something half-right.
/// </summary>
public abstract record JobMessage
{
    public const int CurrentVersion = 1;

    [JsonPropertyName("v")] public int Version { get; init; } = CurrentVersion;

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, GetType(), Json);

    public static T Parse<T>(string json) where T : JobMessage
    {
        T? message;
        try { message = JsonSerializer.Deserialize<T>(json, Json); }
        catch (JsonException e) { throw new InvalidMessageException($"{typeof(T).Name}: not valid JSON ({e.Message})"); }
        if (message is null) throw new InvalidMessageException($"{typeof(T).Name}: empty message");
        if (message.Version != CurrentVersion) throw new InvalidMessageException($"{typeof(T).Name}: unsupported message version {message.Version} (this build handles {CurrentVersion})");
        if (message is RunMessage { RunId: null or "" }) throw new InvalidMessageException($"{typeof(T).Name}: missing run id");
        return message;
    }
}

/// <summary>A message about one existing run, which it names ("run"): every stage's message but retrain's, which starts a run.</summary>
public abstract record RunMessage : JobMessage
{
    // Order 1: after the type's own fields and "v", where it was when JobMessage held it, so the text is unchanged.
    [JsonPropertyOrder(1), JsonPropertyName("run")] public string RunId { get; init; } = "";
}

public sealed class InvalidMessageException(string message) : Exception(message);

/// <summary>One unit of the map fan-out: a whole file, a byte range of an uncompressed one, or a range of a Parquet file's row groups.</summary>
public sealed record ShardMapMessage : RunMessage
{
    public int Index { get; init; }
    public string Blob { get; init; } = "";
    public bool Catalog { get; init; }
    /// <summary>Range [Start, End) of the blob in <see cref="Unit"/>; End = -1 for the whole blob.</summary>
    public long Start { get; init; }
    public long End { get; init; } = -1;
    /// <summary>
    /// What Start and End count (bytes; row groups for Parquet), as the drop's format planned them. Messages
    /// queued by versions before it was added have none: their blob's format gives the unit, as it did then.
    /// </summary>
    public RangeUnit? Unit { get; init; }

    /// <summary>The message of one planned map task (sent by the drop, and again by the run watchdog).</summary>
    public static ShardMapMessage For(string runId, ShardTask task) => new()
    {
        RunId = runId, Index = task.Index, Blob = task.Blob, Catalog = task.Catalog, Start = task.Start, End = task.End, Unit = task.Unit,
    };
}

public sealed record ShardReduceMessage : RunMessage
{
    /// <summary>
    /// Null: advance the run's vocabulary reduce (plan the partitions, send what is pending, or — every
    /// partition done — write the header and fan out the remaps). k: reduce partition k of the run's plan.
    /// </summary>
    public int? Partition { get; init; }
}

/// <summary>One unit of the remap fan-out: map shard Index's rows into global ids.</summary>
public sealed record RemapMessage : RunMessage
{
    public int Index { get; init; }
}

/// <summary>
/// Train a run. A continuation (sent by an execution that reached its time budget) names the step its
/// checkpoint holds and the execution it asks for; any training message resumes from the run's newest
/// checkpoint, so the fields are for logs and `sslrec status`, and a repeated one does no harm.
/// </summary>
public sealed record TrainMessage : RunMessage
{
    public int? ContinuesFromStep { get; init; }
    /// <summary>1 for the first execution of a run's training (absent), n + 1 for the continuation of execution n.</summary>
    public int? Execution { get; init; }
}

public sealed record PublishMessage : RunMessage;

/// <summary>Run the flow again on the newest version of a dataset, optionally with other training settings.</summary>
public sealed record RetrainMessage : JobMessage
{
    /// <summary>
    /// The end of the run id it starts ("{dataset}@{version}@retrain-{suffix}"); empty: a hash of the message.
    /// On the wire it is "run", as hand-written messages and the documented contract spell it. Its place (order
    /// 1: last) and its "" when absent keep the text a suffix-less retrain hashes exactly as before the rename,
    /// so a message sent again after an upgrade still starts the same run.
    /// </summary>
    [JsonPropertyOrder(1), JsonPropertyName("run")] public string RunSuffix { get; init; } = "";
    public string Dataset { get; init; } = "";
    /// <summary>Training option overrides, e.g. {"alpha": 0.3, "batch_size": 512}: names as `sslrec train` or metrics.json spell them, or the property names (TrainingOverrides).</summary>
    public JsonObject? Overrides { get; init; }
    public bool WarmStart { get; init; }
}

/// <summary>The "embeddings published" notification.</summary>
public sealed record PublishedNotification
{
    public string Model { get; init; } = "";
    public string Version { get; init; } = "";
    public string ManifestUri { get; init; } = "";
    public string DatasetVersion { get; init; } = "";
    public Dictionary<string, Dictionary<string, double>> Recall { get; init; } = new();

    public string MessageId => $"{Model}/{Version}";
}
