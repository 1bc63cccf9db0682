namespace SslRec.Core.Data;

public sealed record DatasetReadOptions
{
    /// <summary>Share of the training rows to keep (the hold-out is unaffected), for data-sparsity studies.</summary>
    public double DataFraction { get; init; } = 1.0;
    /// <summary>How many unusable rows may be skipped (and counted) before reading fails.</summary>
    public long MaxBadRows { get; init; }
    /// <summary>Seed of the data-fraction subsample; the split seed comes from the schema.</summary>
    public ulong FractionSeed { get; init; } = 7;
    /// <summary>Called every 100,000 rows with the file being read and its rows so far.</summary>
    public Action<string, long>? Progress { get; init; }
}
