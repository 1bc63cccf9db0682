using SslRec.Core.Data;
using SslRec.Core.Schema;
using SslRec.Core.Synthetic;
using SslRec.Core.Vocab;

namespace SslRec.Tests.Core;

/// <summary>
/// The header step maps each interaction shard's item keys and tied values to its own numbering
/// (<see cref="ShardItemMaps"/>), translated to global ids by <see cref="RemapTables"/>, so a remap holds no
/// text. Checked against an independent lookup: each local value's text found in the finished corpus and
/// vocabularies.
/// </summary>
public class ItemSideMapsTests
{
    private static (DatasetSchema Schema, IReadOnlyList<PartialShard> Shards, List<PartialShard> Catalog) Encode(string dir) => ShardedTestData.Encode(dir, 20_000);

    /// <summary>The header step's merge of every shard's item side; the partitioned features come by size only (none kept).</summary>
    private static (DatasetHeader Header, RemapTables Tables, List<ShardItemMaps> Maps) MergeItemSide(DatasetSchema schema, IReadOnlyList<PartialShard> shards, List<PartialShard> catalog, long maxBadRows)
    {
        var merger = new VocabularyMerger(schema, maxBadRows);
        foreach (var s in catalog) merger.AddCatalog(s.Vocabulary);
        var maps = shards.Select(s => merger.AddInteractions(s.Vocabulary)).ToList();
        var partitioned = VocabularyPartitioning.PartitionedFeatures(schema);
        var sized = partitioned.ToDictionary(f => f, f => Vocabulary.Sized(schema.All[f].Name, 0, schema.All[f].OovBuckets, 0));
        var (header, tables) = merger.Finish(sized, VocabularyPartitions.From(partitioned, [partitioned.Select(_ => 0).ToArray()]));
        return (header, tables, maps);
    }

    [Theory]
    [InlineData("links")]      // query features tied to item features
    [InlineData("catalog")]    // a catalog, no tie
    [InlineData("no-catalog")] // the corpus from the interaction rows' first row of each item
    public void Each_shards_maps_give_the_corpus_index_and_global_id_of_its_values(string kind)
    {
        using var dir = new TempDirectory();
        if (kind == "links") LinkPredictionGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 3000, Items = 200, Seed = 5 });
        else SyntheticGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 3000, Users = 300, Items = 80, Seed = 5 });
        if (kind == "no-catalog") ShardedTestData.MoveItemFeaturesIntoInteractions(dir.Path);
        var (schema, shards, catalog) = Encode(dir.Path);
        Assert.True(shards.Count > 2, $"{shards.Count} shards");
        Assert.Equal(kind != "no-catalog", catalog.Count > 0);
        var partitioned = VocabularyPartitioning.PartitionedFeatures(schema);
        var tied = Enumerable.Range(0, schema.Query.Count).Except(partitioned).ToArray();
        Assert.Equal(kind == "links", tied.Length > 0);

        var (header, tables, maps) = MergeItemSide(schema, shards, catalog, maxBadRows: 0);

        // the same tables after a round trip through their files
        using var file = new MemoryStream();
        PartitionFormat.WriteRemapTables(file, tables);
        file.Position = 0;
        var read = PartitionFormat.ReadRemapTables(file);
        Assert.Equal(schema.ToJson(), read.Schema.ToJson());
        Assert.Equal(tables.Partitions.Offsets, read.Partitions.Offsets);

        var corpus = header.ItemKeys.Select((key, i) => (key, i)).ToDictionary(x => x.key, x => x.i);
        var keySlot = schema.Query.Count + schema.ItemKeyIndex;
        for (var s = 0; s < shards.Count; s++)
        {
            using var mapFile = new MemoryStream();
            PartitionFormat.WriteItemMaps(mapFile, maps[s]);
            mapFile.Position = 0;
            var shardMaps = PartitionFormat.ReadItemMaps(mapFile, schema);
            var keys = shards[s].Vocabulary.Dictionaries[keySlot];
            Assert.Equal(keys.Count, shardMaps.Keys.Length);
            Assert.Equal(-1, shardMaps.Keys[0]);
            for (var k = 1; k < keys.Count; k++) Assert.Equal(corpus[keys[k]], shardMaps.Keys[k]);
            foreach (var f in tied)
            {
                var values = shards[s].Vocabulary.Dictionaries[f];
                var map = read.TiedMap(f, shardMaps);
                Assert.Equal(0, map[0]);
                for (var i = 1; i < values.Count; i++) Assert.Equal(header.Vocabularies[f].IdOf(values[i]), map[i]);
            }
            foreach (var f in partitioned) Assert.Null(shardMaps.Query[f]);
        }
    }

    [Fact]
    public void A_shard_naming_an_item_outside_the_catalog_maps_it_to_minus_one_and_counts_a_bad_row()
    {
        using var dir = new TempDirectory();
        SyntheticGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 500, Users = 50, Items = 20, Seed = 2 });
        var items = Path.Combine(dir.Path, "items.csv");
        var lines = File.ReadAllLines(items);
        var dropped = lines[1].Split(',')[0];
        File.WriteAllLines(items, lines.Where((_, i) => i != 1));
        var (schema, shards, catalog) = Encode(dir.Path);

        var (header, _, maps) = MergeItemSide(schema, shards, catalog, maxBadRows: 1_000);
        var keySlot = schema.Query.Count + schema.ItemKeyIndex;
        var unknownRows = 0L;
        for (var s = 0; s < shards.Count; s++)
        {
            var keys = shards[s].Vocabulary.Dictionaries[keySlot];
            var id = keys.Values.ToList().IndexOf(dropped);
            if (id <= 0) continue;
            Assert.Equal(-1, maps[s].Keys[id]);
            unknownRows += keys.Counts[id] + shards[s].Vocabulary.EvalRowsOfKey[id];
        }
        Assert.True(unknownRows > 0, $"item {dropped} is named by no row");
        Assert.Equal(unknownRows, header.Report.BadRows);
        Assert.DoesNotContain(dropped, header.ItemKeys);
    }
}
