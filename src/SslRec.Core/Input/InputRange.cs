namespace SslRec.Core.Input;

/// <summary>
/// The part of a data file one map shard reads: [Start, End) counted in the file format's <see cref="RangeUnit"/>,
/// or the whole file (End −1). A file planned as one range is read whole, so its errors name the file alone.
/// </summary>
public readonly record struct InputRange(long Start, long End)
{
    public static readonly InputRange Whole = new(0, -1);

    public bool IsWhole => End < 0;
}

/// <summary>What an <see cref="InputRange"/> counts: the format decides (a map message names it, so it says what its numbers mean).</summary>
public enum RangeUnit
{
    /// <summary>Byte offsets; a line belongs to the range that holds its first byte (text formats).</summary>
    Bytes,
    /// <summary>Row-group indexes (Parquet).</summary>
    RowGroups,
}
