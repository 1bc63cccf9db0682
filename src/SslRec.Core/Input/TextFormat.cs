using SslRec.Core.Reading;

namespace SslRec.Core.Input;

/// <summary>
/// Line-oriented text (every row is one line), optionally gzip-compressed. An uncompressed file splits into byte
/// ranges at any line boundary (<see cref="LineRange"/>: a line belongs to the range holding its first byte); a
/// gzip stream cannot be entered in the middle, so a .gz file is one map shard. A range after the first also reads
/// the file's header line when the format has one. Subclasses say only how a line becomes a row.
/// </summary>
public abstract class TextFormat : InputFormat
{
    public override RangeUnit Unit => RangeUnit.Bytes;

    public override bool AllowsGzip => true;

    /// <summary>Whether the first line names the columns (then every byte range needs it).</summary>
    public abstract bool HasHeader { get; }

    protected override IReadOnlyList<InputRange> PlanRanges(IDataSource source, long shardTargetBytes) =>
        InputFormats.IsGzip(source.Name)
            ? [InputRange.Whole]
            : LineRange.Plan(source.Length, shardTargetBytes).Select(r => new InputRange(r.Start, r.End)).ToList();

    public override IRowReader Read(Stream stream, string name, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored)
    {
        var gzip = InputFormats.IsGzip(name);
        return ReadText(gzip ? new CheckedGzipStream(stream, name) : stream, name, columns, ignored, uncompressedOffsets: gzip);
    }

    protected override IRowReader OpenRange(IDataSource source, InputRange range, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored)
    {
        if (InputFormats.IsGzip(source.Name))
            throw new InvalidDataException($"{source.Name}: a gzip file is read whole, not as bytes {range.Start}–{range.End} (a map task planned by another version?)");
        var header = range.Start > 0 && HasHeader ? ReadHeader(source) : null;
        // one byte early: LineRange checks whether the range starts on a line boundary
        var positioned = source.OpenRead(Math.Max(0, range.Start - 1), ReadPattern.Sequential);
        return ReadOrDispose(LineRange.Open(positioned, range.Start, range.End, header),
            text => ReadText(text, LineRange.Describe(source.Name, range.Start, range.End), columns, ignored, uncompressedOffsets: false));
    }

    /// <summary>The file's first line, newline included.</summary>
    public byte[] ReadHeader(IDataSource source)
    {
        using var start = source.OpenRead(0, ReadPattern.Peek);
        return LineRange.ReadHeader(start);
    }

    /// <summary>
    /// Rows of (decompressed) text. <paramref name="uncompressedOffsets"/>: byte offsets in errors count the
    /// decompressed text of a .gz file, and say so.
    /// </summary>
    public IRowReader ReadText(Stream text, string name, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored, bool uncompressedOffsets)
    {
        var lines = new LineReader(text, name, Name, uncompressedOffsets);
        try
        {
            return ReadLines(name, lines, columns, ignored);
        }
        catch
        {
            lines.Dispose();
            throw;
        }
    }

    /// <summary>A row reader over the file's lines (it owns them).</summary>
    protected abstract IRowReader ReadLines(string name, LineReader lines, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored);
}
