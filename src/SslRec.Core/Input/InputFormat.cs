using SslRec.Core.Reading;

namespace SslRec.Core.Input;

/// <summary>
/// One input format: the file names it reads, how a file is planned into map shards (<see cref="InputRange"/>s in
/// its <see cref="Unit"/>), and how a shard's rows are read. It sees files only through <see cref="IDataSource"/>,
/// so a local `sslrec train` and the pipeline's drop and map stages plan and read with the same code. Adding a
/// format is a subclass (a line-oriented text format: of <see cref="TextFormat"/>) and its line in <see cref="InputFormats.All"/>.
/// </summary>
public abstract class InputFormat
{
    /// <summary>How messages name the format ("CSV", "Parquet").</summary>
    public abstract string Name { get; }

    /// <summary>The file name endings it reads, e.g. ".csv" (without ".gz").</summary>
    public abstract IReadOnlyList<string> Extensions { get; }

    /// <summary>What its ranges count.</summary>
    public abstract RangeUnit Unit { get; }

    /// <summary>Whether a name with ".gz" after one of <see cref="Extensions"/> is this format, gzip-compressed.</summary>
    public virtual bool AllowsGzip => false;

    /// <summary>How a whole file is read (Parquet seeks; text streams).</summary>
    protected virtual ReadPattern WholeFileReads => ReadPattern.Sequential;

    /// <summary>
    /// The map shards of a file, each about <paramref name="shardTargetBytes"/> of input (≤ 0: one shard). A file
    /// planned as one range is one <see cref="InputRange.Whole"/>, so it is read without a range and its errors name the file alone.
    /// </summary>
    public IReadOnlyList<InputRange> Plan(IDataSource source, long shardTargetBytes)
    {
        var ranges = PlanRanges(source, shardTargetBytes);
        return ranges.Count == 1 ? [InputRange.Whole] : ranges;
    }

    /// <summary>Ranges covering the file exactly once, in file order.</summary>
    protected abstract IReadOnlyList<InputRange> PlanRanges(IDataSource source, long shardTargetBytes);

    /// <summary>The rows of one planned range (or of the whole file).</summary>
    public IRowReader Open(IDataSource source, InputRange range, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored) =>
        range.IsWhole
            ? ReadOrDispose(source.OpenRead(0, WholeFileReads), stream => Read(stream, source.Name, columns, ignored))
            : OpenRange(source, range, columns, ignored);

    /// <summary>The rows of a whole file given as a stream; <paramref name="name"/> names it in errors.</summary>
    public abstract IRowReader Read(Stream stream, string name, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored);

    /// <summary>The rows of one range [Start, End) of the file, in <see cref="Unit"/>.</summary>
    protected abstract IRowReader OpenRange(IDataSource source, InputRange range, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored);

    /// <summary>A reader owns its stream; one that cannot be created (a bad header, a broken footer) must not leak it.</summary>
    protected static IRowReader ReadOrDispose(Stream stream, Func<Stream, IRowReader> read)
    {
        try
        {
            return read(stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }
}
