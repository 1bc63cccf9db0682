namespace SslRec.Core.Reading;

/// <summary>
/// Streams the rows of one data file. Each row exposes, per requested column, its raw text: empty when
/// the value is missing; for multi-valued features the values are joined by the feature's separator
/// (JSON arrays are converted to that form). Spans are valid until the next <see cref="Read"/>.
/// </summary>
public interface IRowReader : IDisposable
{
    string FilePath { get; }

    /// <summary>1-based line number of the current row in the file (header included).</summary>
    long Row { get; }

    /// <summary>Advances to the next non-empty row; throws <see cref="DataFormatException"/> for an unparsable one.</summary>
    bool Read();

    /// <summary>Whether the file has this column at all (CSV header; JSONL files have all columns).</summary>
    bool HasColumn(int column);

    ReadOnlySpan<char> Get(int column);
}

/// <summary>The columns a reader should deliver, in slot order, with the separators of multi-valued ones.</summary>
public sealed record ColumnRequest(string Name, char? MultiSeparator);
