namespace SslRec.Core.Input;

/// <summary>
/// The input formats SslRec reads, and the one place where a file name's ending is matched to a format (and to
/// gzip compression). Everything else asks for the format and lets it plan and read.
/// </summary>
public static class InputFormats
{
    /// <summary>Every format a dataset's files may have; a new format is one more entry.</summary>
    public static readonly IReadOnlyList<InputFormat> All =
        [DelimitedTextFormat.Csv, DelimitedTextFormat.Tsv, JsonLinesFormat.Instance, ParquetFormat.Instance];

    private const string GzipExtension = ".gz";

    /// <summary>The endings a dataset's data files may have, for errors: "*.csv, *.tsv, … (optionally .gz), *.parquet".</summary>
    public static string Expected { get; } = DescribeExtensions();

    /// <summary>Whether the name ends in .gz (a text format then reads it through a gzip decompressor).</summary>
    public static bool IsGzip(string name) => name.EndsWith(GzipExtension, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Whether a file is data (not schema.json, _READY or notes). A gzip-compressed file of a format that cannot be
    /// (x.parquet.gz) counts, so that <see cref="For"/> refuses it by name instead of leaving it out unseen.
    /// </summary>
    public static bool IsDataFile(string name) => Match(WithoutGzip(name)) is not null;

    /// <summary>The format a file name calls for; a name of no format, or a compressed one of a format that cannot be, is refused naming the file.</summary>
    public static InputFormat For(string name)
    {
        var format = Match(WithoutGzip(name))
                     ?? throw new InvalidDataException($"{name}: not a data file (expected {Expected})");
        if (IsGzip(name) && !format.AllowsGzip)
            throw new InvalidDataException($"{name}: {format.Name} files cannot be gzip-compressed (the format compresses its own data): upload the {string.Join("/", format.Extensions)} file itself");
        return format;
    }

    /// <summary>A file name without its format's ending and .gz ("items.csv.gz" → "items").</summary>
    public static string Stem(string fileName) => Path.GetFileNameWithoutExtension(WithoutGzip(fileName));

    private static InputFormat? Match(string name) =>
        All.FirstOrDefault(f => f.Extensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase)));

    private static string WithoutGzip(string name) => IsGzip(name) ? name[..^GzipExtension.Length] : name;

    private static string DescribeExtensions()
    {
        static string Globs(IEnumerable<InputFormat> formats) => string.Join(", ", formats.SelectMany(f => f.Extensions).Select(e => "*" + e));
        var compressible = All.Where(f => f.AllowsGzip).ToList();
        var others = All.Where(f => !f.AllowsGzip).ToList();
        var text = compressible.Count > 0 ? $"{Globs(compressible)} (optionally {GzipExtension})" : "";
        return string.Join(", ", new[] { text, Globs(others) }.Where(s => s.Length > 0));
    }
}
