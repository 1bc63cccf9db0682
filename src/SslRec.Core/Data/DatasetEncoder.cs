using SslRec.Core.Reading;
using SslRec.Core.Schema;

namespace SslRec.Core.Data;

/// <summary>
/// Reads a dataset folder (schema.json, interaction files, optional items.* catalog) into an
/// <see cref="EncodedDataset"/>: one streaming pass per file into a shard with local ids
/// (<see cref="ShardEncoder"/>, the pipeline's map step), then <see cref="ShardMerger"/> (its reduce
/// step). Memory holds the encoded int32 arrays and the distinct values, never the rows' text.
/// </summary>
public static class DatasetEncoder
{
    public static EncodedDataset Read(string directory, DatasetReadOptions? options = null)
    {
        var schema = DatasetSchema.Load(Path.Combine(directory, DatasetSchema.FileName));
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
        var shards = new List<PartialShard>();
        foreach (var file in interactionFiles)
        {
            var remaining = options with { MaxBadRows = options.MaxBadRows - shards.Concat(catalogShards).Sum(s => s.BadRows) };
            using var reader = DataFiles.Open(file, ShardEncoder.InteractionColumns(schema), schema.Ignore);
            shards.Add(ShardEncoder.EncodeInteractions(reader, schema, catalog is not null, remaining));
        }
        var data = ShardMerger.Merge(schema, shards, catalogShards, options.MaxBadRows);
        if (data.Train.Count == 0)
            throw new InvalidDataException($"no training rows: {data.Report.RowsRead} rows read, {data.Report.EvalRows} held out, {data.Report.RowsOutsideFraction} outside the data fraction");
        return data;
    }
}
