using SslRec.Core.Reading;
using SslRec.Core.Schema;

namespace SslRec.Core.Data;

/// <summary>
/// Reads a dataset folder (schema.json, interaction files, optional items.* catalog) into an
/// <see cref="EncodedDataset"/>: one streaming pass per file — or per byte range of a large uncompressed
/// file, several at once — into shards with local ids (<see cref="ShardEncoder"/>, the pipeline's map
/// step), then <see cref="ShardMerger"/> (its reduce step). Shards are merged in file and range order,
/// so the result does not depend on the ranges or the thread count. Memory holds the encoded int32
/// arrays and the distinct values, never the rows' text.
/// </summary>
public static class DatasetEncoder
{
    public static EncodedDataset Read(string directory, DatasetReadOptions? options = null) =>
        Read(directory, DatasetSchema.Load(Path.Combine(directory, DatasetSchema.FileName)), options);

    /// <summary>A dataset folder's files read with another schema than its own (e.g. its ties removed).</summary>
    public static EncodedDataset Read(string directory, DatasetSchema schema, DatasetReadOptions? options = null)
    {
        var (files, catalog) = DataFiles.Discover(directory);
        return Read(schema, files, catalog, options);
    }

    public static EncodedDataset Read(DatasetSchema schema, IReadOnlyList<string> interactionFiles, string? catalog, DatasetReadOptions? options = null)
    {
        options ??= new DatasetReadOptions();
        if (options.DataFraction is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(options), "data fraction must be in (0, 1]");
        var catalogShards = new List<PartialShard>();
        if (catalog is not null)
        {
            using var reader = DataFiles.Open(catalog, ShardEncoder.CatalogColumns(schema), schema.Ignore);
            catalogShards.Add(ShardEncoder.EncodeCatalog(reader, schema, options));
        }
        var shards = EncodeInteractions(schema, interactionFiles, catalog is not null, options with { MaxBadRows = options.MaxBadRows - catalogShards.Sum(s => s.Vocabulary.BadRows) });
        var data = ShardMerger.Merge(schema, shards, catalogShards, options.MaxBadRows);
        if (data.Train.Count == 0)
            throw new InvalidDataException($"no training rows: {data.Report.RowsRead} rows read, {data.Report.EvalRows} held out, {data.Report.RowsOutsideFraction} outside the data fraction");
        return data;
    }

    /// <summary>
    /// The map step over local files: each file, each byte range of a large uncompressed one, or each
    /// block of lines of a gzip file (<see cref="CompressedBlocks"/>) becomes a shard;
    /// <see cref="DatasetReadOptions.Threads"/> of them are encoded at once. Each shard may use
    /// the whole bad-row allowance; the merge enforces it over all of them.
    /// </summary>
    public static IReadOnlyList<PartialShard> EncodeInteractions(DatasetSchema schema, IReadOnlyList<string> files, bool withCatalog, DatasetReadOptions options)
    {
        var parts = files.SelectMany(f => Parts(f, options.RangeBytes)).ToArray();
        var shards = new List<PartialShard>[parts.Length];
        var errors = new Exception?[parts.Length];
        Parallel.For(0, parts.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Threads) }, (i, loop) =>
        {
            try
            {
                var (file, start, end) = parts[i];
                // a gzip file is one stream: decompress on one thread, encode its blocks on the others
                shards[i] = DataFiles.IsCompressed(file) && options.Threads > 1 && options.RangeBytes > 0
                    ? CompressedBlocks.Encode(schema, file, withCatalog, options)
                    : [EncodeInteractions(schema, file, start, end, withCatalog, options)];
            }
            catch (Exception e)
            {
                errors[i] = e;
                loop.Break(); // parts after this one are not started; the earliest failing part is reported
            }
        });
        if (errors.FirstOrDefault(e => e is not null) is { } first)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        return shards.SelectMany(s => s).ToList();
    }

    /// <summary>
    /// The parts one file is encoded in: the whole file (End −1), byte ranges of about rangeBytes, or for
    /// Parquet ranges [Start, End) of row groups of about rangeBytes.
    /// </summary>
    public static IReadOnlyList<(string File, long Start, long End)> Parts(string file, long rangeBytes)
    {
        if (DataFiles.IsParquet(file))
        {
            using var footer = File.OpenRead(file);
            var ranges = ParquetRowReader.PlanShards(footer, file, rangeBytes);
            return ranges.Count == 1 ? [(file, 0, -1)] : ranges.Select(r => (file, r.Start, r.End)).ToList();
        }
        var length = new FileInfo(file).Length;
        if (DataFiles.IsCompressed(file) || rangeBytes <= 0 || length <= rangeBytes) return [(file, 0, -1)];
        return LineRange.Plan(length, rangeBytes).Select(r => (file, r.Start, r.End)).ToList();
    }

    /// <summary>One map task: a whole file (end −1), the lines starting in bytes [start, end) of an uncompressed one, or row groups [start, end) of a Parquet file.</summary>
    public static PartialShard EncodeInteractions(DatasetSchema schema, string file, long start, long end, bool withCatalog, DatasetReadOptions options)
    {
        var columns = ShardEncoder.InteractionColumns(schema);
        using var reader = end < 0 ? DataFiles.Open(file, columns, schema.Ignore) : OpenRange(file, start, end, columns, schema);
        return ShardEncoder.EncodeInteractions(reader, schema, withCatalog, options);
    }

    private static IRowReader OpenRange(string file, long start, long end, IReadOnlyList<ColumnRequest> columns, DatasetSchema schema)
    {
        if (DataFiles.IsParquet(file))
            return new ParquetRowReader(File.OpenRead(file), file, columns, schema.Ignore, (int)start, (int)end);
        byte[]? header = null;
        if (start > 0 && DataFiles.HasHeader(file))
            using (var head = File.OpenRead(file)) header = LineRange.ReadHeader(head);
        var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        stream.Position = Math.Max(0, start - 1);
        return DataFiles.Open(LineRange.Open(stream, start, end, header), LineRange.Describe(file, start, end), columns, schema.Ignore, decompress: false, fileName: file);
    }
}
