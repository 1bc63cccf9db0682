using SslRec.Core.Input;

namespace SslRec.Core.Reading;

/// <summary>
/// A dataset's files: which are data (by <see cref="InputFormats"/>), which one is the item catalog, and opening a
/// whole file with the reader its format calls for. The same rules serve a local folder and a dataset version's blobs.
/// </summary>
public static class DataFiles
{
    public static bool IsDataFile(string path) => InputFormats.IsDataFile(Path.GetFileName(path));

    /// <summary>The item catalog is a data file whose name (without extensions) is "items".</summary>
    public static bool IsCatalog(string path) =>
        IsDataFile(path) && InputFormats.Stem(Path.GetFileName(path)).Equals("items", StringComparison.OrdinalIgnoreCase);

    /// <summary>Interaction files of a dataset folder in ordinal name order, and the catalog if present.</summary>
    public static (IReadOnlyList<string> Interactions, string? Catalog) Discover(string directory)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"dataset folder not found: {directory}");
        return Classify(Directory.EnumerateFiles(directory), directory);
    }

    /// <summary>
    /// The data files among a folder's files (or a dataset version's blobs): interaction files in ordinal name
    /// order, and the catalog. <paramref name="folder"/> names the folder in errors.
    /// </summary>
    public static (IReadOnlyList<string> Interactions, string? Catalog) Classify(IEnumerable<string> names, string folder)
    {
        var files = names.Where(IsDataFile).Order(StringComparer.Ordinal).ToList();
        var catalogs = files.Where(IsCatalog).ToList();
        if (catalogs.Count > 1)
            throw new InvalidDataException($"{folder}: more than one item catalog ({string.Join(", ", catalogs.Select(Path.GetFileName))})");
        var interactions = files.Where(f => !IsCatalog(f)).ToList();
        if (interactions.Count == 0)
            throw new InvalidDataException($"{folder}: no interaction files (expected {InputFormats.Expected})");
        return (interactions, catalogs.FirstOrDefault());
    }

    public static IRowReader Open(string path, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored) =>
        InputFile.Local(path).Open(InputRange.Whole, columns, ignored);

    /// <summary>Reads a whole data file from a stream; <paramref name="name"/> names it in errors, and its ending selects the format.</summary>
    public static IRowReader Open(Stream stream, string name, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored) =>
        InputFormats.For(name).Read(stream, name, columns, ignored);
}
