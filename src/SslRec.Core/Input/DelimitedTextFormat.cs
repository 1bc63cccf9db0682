using SslRec.Core.Reading;

namespace SslRec.Core.Input;

/// <summary>
/// CSV and TSV: one format with two delimiters (<see cref="CsvRowReader"/>: a header row, RFC 4180 quotes, one row a line).
/// </summary>
public sealed class DelimitedTextFormat : TextFormat
{
    public static readonly DelimitedTextFormat Csv = new("CSV", ".csv", ',');
    public static readonly DelimitedTextFormat Tsv = new("TSV", ".tsv", '\t');

    private readonly char _delimiter;

    private DelimitedTextFormat(string name, string extension, char delimiter)
    {
        Name = name;
        Extensions = [extension];
        _delimiter = delimiter;
    }

    public override string Name { get; }
    public override IReadOnlyList<string> Extensions { get; }
    public override bool HasHeader => true;

    protected override IRowReader ReadLines(string name, LineReader lines, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored) =>
        new CsvRowReader(name, lines, _delimiter, columns, ignored);
}
