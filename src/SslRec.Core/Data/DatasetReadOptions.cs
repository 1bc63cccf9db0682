namespace SslRec.Core.Data;

public sealed record DatasetReadOptions
{
    /// <summary>Share of the training rows to keep (the hold-out is unaffected), for data-sparsity studies.</summary>
    public double DataFraction { get; init; } = 1.0;
    /// <summary>How many unusable rows may be skipped (and counted) before reading fails.</summary>
    public long MaxBadRows { get; init; }
    /// <summary>Seed of the data-fraction subsample; the split seed comes from the schema.</summary>
    public ulong FractionSeed { get; init; } = 7;
    /// <summary>
    /// Input size of one map shard, as the pipeline's setting of the same name: uncompressed text files larger
    /// than this are encoded as byte ranges of about this size, Parquet files as runs of row groups holding about
    /// as many rows, <see cref="Threads"/> at a time; gzip files as blocks of lines of about this size, decompressed
    /// on one thread. Errors then count rows from the range's or block's start. 0: one shard a file.
    /// </summary>
    public long ShardTargetBytes { get; init; } = 64L << 20;
    /// <summary>How many files or ranges to encode at once (default: one per core).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Called every 100,000 rows (from several threads when ranges run in parallel) with the file being read and its rows so far.</summary>
    public Action<string, long>? Progress { get; init; }
}
