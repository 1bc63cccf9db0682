using SslRec.Core.Data;
using SslRec.Core.Schema;
using SslRec.Core.Synthetic;
using SslRec.Core.Vocab;

namespace SslRec.Tests.Core;

/// <summary>
/// Every id map a remap reads — the partitions' (user ids, item keys → corpus indices, values tied to the key)
/// and the header step's (values tied to other item features, <see cref="ShardItemMaps"/>, translated by
/// <see cref="RemapTables"/>) — checked against an independent lookup: each local value's text found in the
/// finished corpus and vocabularies, with one partition and with three.
/// </summary>
public class ItemSideMapsTests
{
    private static (DatasetSchema Schema, IReadOnlyList<PartialShard> Shards, List<PartialShard> Catalog) Encode(string dir) => ShardedTestData.Encode(dir, 20_000);

    [Theory]
    [InlineData("links", 1)]      // query features tied to the item key and to other item features
    [InlineData("links", 3)]
    [InlineData("catalog", 3)]    // a catalog, no tie
    [InlineData("no-catalog", 1)] // the corpus from the interaction rows' first row of each item
    [InlineData("no-catalog", 3)]
    public void Each_shards_maps_give_the_corpus_index_and_global_id_of_its_values(string kind, int partitions)
    {
        using var dir = new TempDirectory();
        if (kind == "links") LinkPredictionGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 3000, Items = 200, Seed = 5 });
        else SyntheticGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 3000, Users = 300, Items = 80, Seed = 5 });
        if (kind == "no-catalog") ShardedTestData.MoveItemFeaturesIntoInteractions(dir.Path);
        var (schema, shards, catalog) = Encode(dir.Path);
        Assert.True(shards.Count > 2, $"{shards.Count} shards");
        Assert.Equal(kind != "no-catalog", catalog.Count > 0);
        var keySlot = VocabularyPartitioning.KeySlot(schema);
        var hashed = VocabularyPartitioning.HashedSlots(schema);
        var tiedToKey = Enumerable.Range(0, schema.Query.Count).Where(f => schema.TableOwner(f) == keySlot).ToArray();
        var tiedElsewhere = Enumerable.Range(0, schema.Query.Count).Where(f => schema.TableOwner(f) is var o && o != f && o != keySlot).ToArray();
        Assert.Equal(kind == "links", tiedToKey.Length > 0 && tiedElsewhere.Length > 0);

        var reduced = ShardMerger.Reduce(schema, shards, catalog, partitions: partitions);
        var header = reduced.Header;
        Assert.Equal(partitions, header.Partitions.Count);

        // the same tables after a round trip through their files
        using var file = new MemoryStream();
        PartitionFormat.WriteRemapTables(file, reduced.Tables);
        file.Position = 0;
        var read = PartitionFormat.ReadRemapTables(file);
        Assert.Equal(schema.ToJson(), read.Schema.ToJson());
        Assert.Equal(reduced.Tables.Partitions.Offsets, read.Partitions.Offsets);
        Assert.Equal(reduced.Tables.CorpusOffsets, read.CorpusOffsets);
        Assert.Equal(header.CorpusSize, read.CorpusOffsets[^1]);

        var corpus = header.ItemKeys.Select((key, i) => (key, i)).ToDictionary(x => x.key, x => x.i);
        for (var s = 0; s < shards.Count; s++)
        {
            using var mapFile = new MemoryStream();
            PartitionFormat.WriteItemMaps(mapFile, reduced.ItemMaps[s]);
            mapFile.Position = 0;
            var shardMaps = PartitionFormat.ReadItemMaps(mapFile, schema);
            var maps = reduced.HashedMaps(s);
            Assert.Equal(hashed.Order(), maps.Keys.Order());
            var keys = shards[s].Vocabulary.Dictionaries[keySlot];
            Assert.Equal(keys.Count, maps[keySlot].Length);
            Assert.Equal(-1, maps[keySlot][0]);
            for (var k = 1; k < keys.Count; k++) Assert.Equal(corpus[keys[k]], maps[keySlot][k]);
            foreach (var f in Enumerable.Range(0, schema.Query.Count))
            {
                var values = shards[s].Vocabulary.Dictionaries[f];
                var map = maps.TryGetValue(f, out var m) ? m : read.TiedMap(f, shardMaps);
                Assert.Equal(values.Count, map.Length);
                for (var i = 1; i < values.Count; i++) Assert.Equal(header.Vocabularies[f].IdOf(values[i]), map[i]);
            }
            foreach (var f in hashed.Where(f => f < schema.Query.Count)) Assert.Null(shardMaps.Query[f]);
            foreach (var f in tiedElsewhere) Assert.NotNull(shardMaps.Query[f]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void A_shard_naming_an_item_outside_the_catalog_maps_it_to_minus_one_and_counts_a_bad_row(int partitions)
    {
        using var dir = new TempDirectory();
        SyntheticGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 500, Users = 50, Items = 20, Seed = 2 });
        var items = Path.Combine(dir.Path, "items.csv");
        var lines = File.ReadAllLines(items);
        var dropped = lines[1].Split(',')[0];
        File.WriteAllLines(items, lines.Where((_, i) => i != 1));
        var (schema, shards, catalog) = Encode(dir.Path);

        var reduced = ShardMerger.Reduce(schema, shards, catalog, maxBadRows: 1_000, partitions: partitions);
        var keySlot = VocabularyPartitioning.KeySlot(schema);
        var unknownRows = 0L;
        var first = -1;
        for (var s = 0; s < shards.Count; s++)
        {
            var keys = shards[s].Vocabulary.Dictionaries[keySlot];
            var id = keys.Values.ToList().IndexOf(dropped);
            if (id <= 0) continue;
            Assert.Equal(-1, reduced.HashedMaps(s)[keySlot][id]);
            unknownRows += keys.Counts[id] + shards[s].Vocabulary.EvalRowsOfKey[id];
            if (first < 0) first = s;
        }
        Assert.True(unknownRows > 0, $"item {dropped} is named by no row");
        Assert.Equal(unknownRows, reduced.Header.Report.BadRows);
        Assert.DoesNotContain(dropped, reduced.Header.ItemKeys);
        // the message names the item and the first row that names it, in the first shard that does
        var firstRow = shards[first].Vocabulary.FirstRowOfKey[shards[first].Vocabulary.Dictionaries[keySlot].Values.ToList().IndexOf(dropped)];
        Assert.Contains(reduced.Header.Report.BadRowMessages, m => m.Contains($"item '{dropped}' is not in the catalog") && m.Contains($"row {firstRow}"));
    }
}
