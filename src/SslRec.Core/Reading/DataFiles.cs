namespace SslRec.Core.Reading;

/// <summary>Finds a dataset's files and opens them with the reader their extension calls for (.gz is decompressed on the fly).</summary>
public static class DataFiles
{
    private static readonly string[] Formats = [".csv", ".tsv", ".jsonl", ".ndjson", ".parquet"];

    public static bool IsDataFile(string path)
    {
        var name = StripGz(Path.GetFileName(path));
        return Formats.Any(ext => name.EndsWith(ext, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The item catalog is a data file whose name (without extensions) is "items".</summary>
    public static bool IsCatalog(string path)
    {
        var name = StripGz(Path.GetFileName(path));
        return IsDataFile(path) && Path.GetFileNameWithoutExtension(name).Equals("items", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Interaction files of a dataset folder in ordinal name order, and the catalog if present.</summary>
    public static (IReadOnlyList<string> Interactions, string? Catalog) Discover(string directory)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"dataset folder not found: {directory}");
        var files = Directory.EnumerateFiles(directory).Where(IsDataFile).Order(StringComparer.Ordinal).ToList();
        var catalogs = files.Where(IsCatalog).ToList();
        if (catalogs.Count > 1)
            throw new InvalidDataException($"{directory}: more than one item catalog ({string.Join(", ", catalogs.Select(Path.GetFileName))})");
        var interactions = files.Where(f => !IsCatalog(f)).ToList();
        if (interactions.Count == 0)
            throw new InvalidDataException($"{directory}: no interaction files (expected *.csv, *.tsv, *.jsonl, optionally .gz, or *.parquet)");
        return (interactions, catalogs.FirstOrDefault());
    }

    public static IRowReader Open(string path, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored) =>
        Open(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, IsParquet(path) ? FileOptions.RandomAccess : FileOptions.SequentialScan),
            path, columns, ignored);

    /// <summary>Parquet files are read by row group (footer first), not as a text stream.</summary>
    public static bool IsParquet(string name) => name.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Opens a stream of a data file. <paramref name="name"/> names it in errors; <paramref name="fileName"/>
    /// (default: the name) selects the format by its extension.
    /// </summary>
    public static IRowReader Open(Stream stream, string name, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored,
        bool decompress = true, string? fileName = null)
    {
        fileName ??= name;
        if (IsParquet(fileName)) return new ParquetRowReader(stream, name, columns, ignored);
        if (decompress && IsCompressed(fileName)) stream = new CheckedGzipStream(stream, name);
        var format = StripGz(fileName);
        var (kind, delimiter) = format.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? ("CSV", ',')
            : format.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? ("TSV", '\t')
            : ("JSON Lines", '\0');
        var lines = new LineReader(stream, name, kind, uncompressedOffsets: IsCompressed(fileName));
        try
        {
            return delimiter != '\0' ? new CsvRowReader(name, lines, delimiter, columns, ignored) : new JsonlRowReader(name, lines, columns, ignored);
        }
        catch
        {
            lines.Dispose();
            throw;
        }
    }

    public static bool IsCompressed(string name) => name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether the format has a header line (CSV, TSV) that every byte range of the file needs.</summary>
    public static bool HasHeader(string name)
    {
        var format = StripGz(name);
        return format.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || format.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase);
    }

    private static string StripGz(string name) =>
        name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? name[..^3] : name;
}
