using SslRec.Core.Data;
using SslRec.Core.Input;
using SslRec.Core.Reading;
using SslRec.Core.Schema;

namespace SslRec.Tests.Core;

/// <summary>Generated data as the map stage leaves it (small shards), and the generated data without a catalog.</summary>
internal static class ShardedTestData
{
    /// <summary>A dataset folder's map shards: its interaction files cut into shards of about shardTargetBytes, and its catalog (if any) as one shard.</summary>
    public static (DatasetSchema Schema, IReadOnlyList<PartialShard> Shards, List<PartialShard> Catalog) Encode(string dir, long shardTargetBytes)
    {
        var schema = DatasetSchema.Load(Path.Combine(dir, DatasetSchema.FileName));
        var (files, catalog) = DataFiles.Discover(dir);
        var options = new DatasetReadOptions { ShardTargetBytes = shardTargetBytes };
        var catalogShards = catalog is null ? [] : new List<PartialShard> { ShardEncoder.Encode(InputFile.Local(catalog), InputRange.Whole, catalog: true, schema, withCatalog: true, options) };
        return (schema, DatasetEncoder.EncodeInteractions(schema, files, catalog is not null, options), catalogShards);
    }

    /// <summary>
    /// Removes the synthetic generator's catalog (items.csv) and appends each item's features to the interaction
    /// rows naming it: without a catalog, item features come from the interaction rows themselves.
    /// </summary>
    public static void MoveItemFeaturesIntoInteractions(string dir)
    {
        var items = File.ReadAllLines(Path.Combine(dir, "items.csv")).Skip(1).ToDictionary(l => l.Split(',')[0], l => l[(l.IndexOf(',') + 1)..]);
        File.Delete(Path.Combine(dir, "items.csv"));
        var lines = File.ReadAllLines(Path.Combine(dir, "interactions.csv"));
        File.WriteAllLines(Path.Combine(dir, "interactions.csv"), [lines[0] + ",category,brand,price,tags", .. lines.Skip(1).Select(l => l + "," + items[l.Split(',')[4]])]);
    }
}
