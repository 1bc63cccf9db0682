using SslRec.Core.Options;

namespace SslRec.Pipeline.Settings;

public sealed record PipelineOptions
{
    /// <summary>
    /// Input size of one map shard: uncompressed text files larger than this are split into byte ranges of about
    /// this size, Parquet files into runs of row groups holding about as many rows (gzip files are one shard each).
    /// `sslrec train --shard-target-mb` reads local files in the same shards.
    /// </summary>
    public long ShardTargetBytes { get; init; } = 64L << 20;
    /// <summary>
    /// Memory budget of one vocabulary reduce partition, in bytes: the planner splits the big query-side
    /// vocabularies (user ids) into as many hash partitions as keep each partition's distinct values within it
    /// (≈ 120 B a value while merging; the default, 128 MiB, is about 1.1M values), each reduced by its own message.
    /// </summary>
    public long VocabularyPartitionBytes { get; init; } = Core.Vocab.VocabularyPartitioning.DefaultBudgetBytes;
    /// <summary>Rows that may be skipped as unusable across the whole dataset.</summary>
    public long MaxBadRows { get; init; }
    /// <summary>Publish gate: the candidate's Recall@K (all) may not be lower than the published model's by more than this (absolute).</summary>
    public double GateMaxRecallDrop { get; init; } = 0.01;
    public int GateK { get; init; } = 50;
    /// <summary>
    /// The deployment's value of the training option max_eval_queries (<see cref="TrainingOptions.MaxEvalQueries"/>,
    /// its bounds): evaluate at most this many held-out pairs, an evenly spaced sample (0 = all). A retrain's
    /// override replaces it, 0 included (<see cref="TrainingRequest.RunOptions"/>). A million pairs measure
    /// Recall@K to about ±0.001 and keep a huge hold-out from costing more GPU time than the training.
    /// </summary>
    public int MaxEvalQueries { get; init; } = 1_000_000;
    /// <summary>
    /// The deployment's value of the training option checkpoint_every (<see cref="TrainingOptions.CheckpointEvery"/>,
    /// its bounds): checkpoint to blob every N training steps. Not a retrain's to change.
    /// </summary>
    public int CheckpointEvery { get; init; } = 50;
    /// <summary>
    /// Longest one training execution trains, in seconds: then it checkpoints and hands the run to the next
    /// execution through a continuation message (not a failed attempt), so a run's total training time is
    /// unbounded while each execution stays inside the GPU job's replica timeout. The default (3.5 h) is half
    /// an hour below the Bicep's 4 h replicaTimeout, which passes its own value (timeout minus a reserve for
    /// the final checkpoint, evaluation and upload). 0 = no budget.
    /// </summary>
    public double TrainTimeBudgetSeconds { get; init; } = 12_600;
    /// <summary>
    /// The run watchdog re-drives a run (re-sends its current stage's messages; stages are idempotent) when its
    /// record has not changed for this long and no stage has a live heartbeat for it (a killed host, a lost
    /// message). Heartbeats are written every 15 s, so this stays well above that.
    /// </summary>
    public double WatchdogStallSeconds { get; init; } = 60;
    /// <summary>Re-drives in a row without progress before the watchdog fails the run (its stage's process keeps dying).</summary>
    public int WatchdogMaxReDrives { get; init; } = 5;

    /// <summary>Refuses a training option's deployment value outside that option's bounds, at start-up and naming the setting.</summary>
    /// <exception cref="InvalidOperationException">the first setting out of bounds</exception>
    public void Validate()
    {
        foreach (var (setting, value) in new[] { (nameof(MaxEvalQueries), MaxEvalQueries), (nameof(CheckpointEvery), CheckpointEvery) })
            if (TrainingOptionDescriptors.Of(setting).Range is { } range && !range.Contains(value))
                throw new InvalidOperationException($"setting {PipelineSettings.OptionsSection}:{setting}: {range.Refusal(value)}");
        if (VocabularyPartitionBytes < 1 << 20)
            throw new InvalidOperationException($"setting {PipelineSettings.OptionsSection}:{nameof(VocabularyPartitionBytes)}: at least 1 MiB (1048576), got {VocabularyPartitionBytes}");
    }
}
