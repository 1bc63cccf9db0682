using SslRec.Core.Input;
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
            catalogShards.Add(ShardEncoder.Encode(InputFile.Local(catalog), InputRange.Whole, catalog: true, schema, withCatalog: true, options));
        var shards = EncodeInteractions(schema, interactionFiles, catalog is not null, options with { MaxBadRows = options.MaxBadRows - catalogShards.Sum(s => s.Vocabulary.BadRows) });
        var data = ShardMerger.Merge(schema, shards, catalogShards, options.MaxBadRows);
        if (data.Train.Count == 0)
            throw new InvalidDataException($"no training rows: {data.Report.RowsRead} rows read, {data.Report.EvalRows} held out, {data.Report.RowsOutsideFraction} outside the data fraction");
        return data;
    }

    /// <summary>
    /// The map step over local files, planned as the pipeline's drop plans blobs (<see cref="InputFile.Plan"/>):
    /// each file, byte range of a large uncompressed one or run of a Parquet file's row groups becomes a shard, and
    /// so does each block of lines of a gzip file (<see cref="CompressedBlocks"/>); <see cref="DatasetReadOptions.Threads"/>
    /// of them are encoded at once. Each shard may use the whole bad-row allowance; the merge enforces it over all of them.
    /// </summary>
    public static IReadOnlyList<PartialShard> EncodeInteractions(DatasetSchema schema, IReadOnlyList<string> files, bool withCatalog, DatasetReadOptions options)
    {
        var parts = files.Select(InputFile.Local).SelectMany(f => f.Plan(options.ShardTargetBytes).Select(range => (File: f, Range: range))).ToArray();
        var shards = new List<PartialShard>[parts.Length];
        var errors = new Exception?[parts.Length];
        Parallel.For(0, parts.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Threads) }, (i, loop) =>
        {
            try
            {
                var (file, range) = parts[i];
                // a gzip file is one stream: decompress on one thread, encode its blocks on the others
                shards[i] = file.Format is TextFormat text && InputFormats.IsGzip(file.Name) && options.Threads > 1 && options.ShardTargetBytes > 0
                    ? CompressedBlocks.Encode(schema, text, file.Source, withCatalog, options)
                    : [ShardEncoder.Encode(file, range, catalog: false, schema, withCatalog, options)];
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
}
