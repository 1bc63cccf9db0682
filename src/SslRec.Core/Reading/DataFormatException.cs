namespace SslRec.Core.Reading;

/// <summary>A row of a data file is unusable. The message names file, row (1-based line) and field.</summary>
public sealed class DataFormatException : Exception
{
    public string FilePath { get; }
    public long Row { get; }
    public string? Field { get; }
    public string Problem { get; }

    public DataFormatException(string filePath, long row, string? field, string problem)
        : base(Format(filePath, row, field, problem))
    {
        FilePath = filePath;
        Row = row;
        Field = field;
        Problem = problem;
    }

    private static string Format(string file, long row, string? field, string problem) =>
        field is null ? $"{file}, row {row}: {problem}" : $"{file}, row {row}, field '{field}': {problem}";
}
