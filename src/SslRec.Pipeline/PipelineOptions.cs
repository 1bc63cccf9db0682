namespace SslRec.Pipeline;

public sealed record PipelineOptions
{
    /// <summary>Uncompressed CSV/TSV/JSONL files larger than this are split into byte ranges for the map fan-out.</summary>
    public long ShardTargetBytes { get; init; } = 64L << 20;
    /// <summary>Rows that may be skipped as unusable across the whole dataset.</summary>
    public long MaxBadRows { get; init; }
    /// <summary>Publish gate: the candidate's Recall@K (all) may not be lower than the published model's by more than this (absolute).</summary>
    public double GateMaxRecallDrop { get; init; } = 0.01;
    public int GateK { get; init; } = 50;
    /// <summary>
    /// Evaluate at most this many held-out pairs, an evenly spaced sample (0 = all); a retrain may set its own
    /// (max_eval_queries). A million pairs measure Recall@K to about ±0.001 and keep a huge hold-out from
    /// costing more GPU time than the training.
    /// </summary>
    public int MaxEvalQueries { get; init; } = 1_000_000;
    /// <summary>Checkpoint to blob every N training steps.</summary>
    public int CheckpointEvery { get; init; } = 50;
}
