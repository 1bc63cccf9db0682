using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SslRec.Core.Input;

namespace SslRec.Pipeline.Runs;

public enum RunState { Planned, Mapping, Reducing, Remapping, Training, Evaluated, Publishing, Published, Rejected, Failed }

/// <summary>artifacts/runs/{run}/run.json: what a run is, where it stands, how long each stage took.</summary>
public sealed class RunRecord
{
    public string RunId { get; set; } = "";
    public string Dataset { get; set; } = "";
    public string DatasetVersion { get; set; } = "";
    /// <summary>The name the embeddings are published under (the dataset name) and the version.</summary>
    public string Model { get; set; } = "";
    public string ModelVersion { get; set; } = "";
    public RunState State { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public JsonObject? Overrides { get; set; }
    public bool WarmStart { get; set; }
    public List<ShardTask> Shards { get; set; } = [];
    public Dictionary<string, StageTiming> Stages { get; set; } = new();
    public TrainingProgressInfo? Training { get; set; }
    public Dictionary<string, Dictionary<string, double>>? Recall { get; set; }
    public GateResult? Gate { get; set; }
    public DatasetSummary? Data { get; set; }
    /// <summary>The vocabulary reduce's plan, chosen by its planner after the map (null before).</summary>
    public VocabularyPlan? Vocabulary { get; set; }
    public List<RunFailure> Failures { get; set; } = [];
    /// <summary>What the run watchdog did for this run (null: never needed).</summary>
    public WatchdogRecord? Watchdog { get; set; }
}

/// <summary>
/// Re-drives of a run whose stage stopped making progress with nothing working on it: how many in a row
/// without progress since, the last one, and what was sent.
/// </summary>
public sealed class WatchdogRecord
{
    public int ReDrives { get; set; }
    public int TotalReDrives { get; set; }
    public DateTimeOffset LastAt { get; set; }
    public string LastAction { get; set; } = "";
    /// <summary>The run's finished work when it was last re-driven ("Mapping:3"): the same again means no progress since.</summary>
    public string LastProgress { get; set; } = "";
}

/// <summary>A planned map task: range [Start, End) of a blob in <see cref="Unit"/> (End −1: all of it); run records written before the unit was recorded have none (the blob's format gives it).</summary>
public sealed record ShardTask(int Index, string Blob, bool Catalog, long Start, long End, RangeUnit? Unit = null);

public sealed class StageTiming
{
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public int Attempts { get; set; }
    /// <summary>Time spent handling this stage's messages, summed (map: all shards; see <see cref="StageMeter"/>).</summary>
    public double? WorkSeconds { get; set; }
    /// <summary>The largest process working set seen while one of its messages ran, MiB.</summary>
    public double? PeakMemoryMiB { get; set; }
    [JsonIgnore] public double? Seconds => StartedAt is { } s && FinishedAt is { } f ? (f - s).TotalSeconds : null;
}

public sealed class TrainingProgressInfo
{
    public int Step { get; set; }
    public int TotalSteps { get; set; }
    public double Loss { get; set; }
    public double ExamplesPerSecond { get; set; }
    public int ResumedFromStep { get; set; }
    /// <summary>Executions this training has run in so far (each but the last stopped at its time budget and handed over).</summary>
    public int Executions { get; set; } = 1;
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// The publish gate: the candidate's Recall@K and the published model's on the same data (this run's
/// hold-out and corpus), and what the published model measured on its own version when it was published.
/// </summary>
public sealed record GateResult(bool Passed, string Reason, double? CandidateRecall, double? PublishedRecall, double? PublishedRecallOnItsOwnData = null);

/// <summary>
/// How the vocabulary reduce was partitioned: the partitions P, the features partitioned (the query features
/// with a table of their own), the distinct values the map shards' sketches estimated for them, and the
/// memory budget per partition P was chosen for (SslRec:Pipeline:VocabularyPartitionBytes).
/// </summary>
public sealed record VocabularyPlan(int Partitions, IReadOnlyList<string> Features, long EstimatedDistinct, long BudgetBytes);

public sealed record DatasetSummary(long Rows, long Train, long Eval, int Items, long BadRows);

public sealed record RunFailure(string Stage, string Message, DateTimeOffset At);
