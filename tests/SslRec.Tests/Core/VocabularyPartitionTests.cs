using System.Text;
using SslRec.Core.Data;
using SslRec.Core.Schema;
using SslRec.Core.Synthetic;
using SslRec.Core.Vocab;

namespace SslRec.Tests.Core;

/// <summary>
/// The partitioned vocabulary reduce on the local path (<see cref="ShardMerger"/>): with one partition it
/// gives exactly the single reduce's vocabularies and ids; with several, the same values and counts under
/// the documented id permutation, and the same examples modulo that permutation.
/// </summary>
public class VocabularyPartitionTests
{
    private static (DatasetSchema Schema, IReadOnlyList<PartialShard> Shards, List<PartialShard> Catalog) Encode(string dir) => ShardedTestData.Encode(dir, 30_000);

    private static EncodedDataset Merge(string dir, int partitions)
    {
        var (schema, shards, catalog) = Encode(dir);
        return ShardMerger.Merge(schema, shards, catalog, partitions: partitions);
    }

    [Fact]
    public void One_partition_gives_the_single_reduce_vocabularies_and_ids()
    {
        using var dir = new TempDirectory();
        SyntheticGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 4000, Users = 500, Items = 60, Seed = 11 });
        var (schema, shards, _) = Encode(dir.Path);
        Assert.True(shards.Count > 2, $"{shards.Count} shards");
        var partitioned = VocabularyPartitioning.PartitionedFeatures(schema);
        Assert.Contains(schema.All.ToList().FindIndex(f => f.Name == "user_id"), partitioned);

        // the single reduce as it was: every shard's counts summed in one counter, Vocabulary.Build, each
        // shard's local ids looked up in the result
        var expected = partitioned.ToDictionary(f => f, f =>
        {
            var counter = new ValueCounter();
            foreach (var s in shards) s.Vocabulary.Dictionaries[f].AddCountsTo(counter);
            return Vocabulary.Build(schema.All[f].Name, counter, schema.All[f].MinCount, schema.All[f].OovBuckets);
        });
        var expectedIds = partitioned.Where(f => f < schema.Query.Count).ToDictionary(f => f, f => shards.SelectMany(s =>
        {
            var map = s.Vocabulary.Dictionaries[f].GlobalIds(expected[f]);
            var c = s.Rows.TrainQueries.Columns[f];
            return (c.Ids ?? c.Values!).Select(id => map[id]).ToArray();
        }).ToArray());

        var merged = Merge(dir.Path, partitions: 1);
        var train = merged.Train.Materialize();
        foreach (var f in partitioned)
        {
            Assert.Equal(expected[f].Values, merged.Vocabularies[f].Values);
            Assert.Equal(expected[f].Counts, merged.Vocabularies[f].Counts);
            Assert.Equal(expected[f].OovCount, merged.Vocabularies[f].OovCount);
            Assert.Equal(expected[f].Size, merged.Vocabularies[f].Size);
            if (f >= schema.Query.Count) continue;
            var c = train.Queries.Columns[f];
            Assert.Equal(expectedIds[f], c.Ids ?? c.Values!);
        }
        // and the planner picks one partition for data this small
        var again = Encode(dir.Path);
        Assert.Equal(1, ShardMerger.Merge(schema, again.Shards, again.Catalog).Header.Partitions.Count);
    }

    [Fact]
    public void Three_partitions_keep_values_and_counts_and_permute_ids_in_the_documented_order()
    {
        using var dir = new TempDirectory();
        SyntheticGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 4000, Users = 500, Items = 60, Seed = 12 });
        var one = Merge(dir.Path, 1);
        var three = Merge(dir.Path, 3);
        Assert.Equal(3, three.Header.Partitions.Count);
        var schema = one.Schema;
        var partitioned = VocabularyPartitioning.PartitionedFeatures(schema);
        var (a, b) = (one.Train.Materialize(), three.Train.Materialize());
        // the corpus: the same items with the same features, partition by partition (by their key's hash), each
        // partition's items in the order of one partition's corpus (first appearance)
        var (h1, h3) = (one.Header, three.Header);
        Assert.Equal(h1.ItemKeys.Order(), h3.ItemKeys.Order());
        var corpusOf = h3.ItemKeys.Select((key, i) => (key, i)).ToDictionary(x => x.key, x => x.i);
        var moved = h1.ItemKeys.Select(key => corpusOf[key]).ToArray();
        Assert.Equal(a.ItemIndex.Select(i => moved[i]), b.ItemIndex);
        var partitionOf = h3.ItemKeys.Select(key => VocabularyPartitioning.PartitionOf(VocabularyPartitioning.Hash(key), 3)).ToArray();
        Assert.Equal(partitionOf.Order(), partitionOf);
        Assert.True(partitionOf.Distinct().Count() == 3, "every partition holds items");
        Assert.Equal(h1.ItemKeys.OrderBy(key => partitionOf[corpusOf[key]]), h3.ItemKeys); // stable: first appearance within a partition
        Assert.Equal(h1.ItemTrainCounts, moved.Select(i => h3.ItemTrainCounts[i]));
        for (var f = 0; f < schema.Item.Count; f++)
        {
            var (c1, c3) = (h1.Items.Columns[f], h3.Items.Columns[f]);
            var v3 = three.Vocabularies[schema.Query.Count + f];
            var v1 = one.Vocabularies[schema.Query.Count + f];
            for (var i = 0; i < moved.Length; i++)
                Assert.Equal(c1.Bag(i).ToArray().Select(id => Value(v1, id)), c3.Bag(moved[i]).ToArray().Select(id => Value(v3, id)));
        }
        for (var f = 0; f < schema.All.Count; f++)
        {
            var (v1, v3) = (one.Vocabularies[f], three.Vocabularies[f]);
            Assert.Equal(v1.Size, v3.Size);
            Assert.Equal(v1.OovCount, v3.OovCount);
            Assert.Equal(v1.Values.Zip(v1.Counts).Order(), v3.Values.Zip(v3.Counts).Order());
            // id in one partition → id in three: the values' ids move, missing and buckets stay
            var permutation = new int[v1.Size];
            for (var id = 1; id < v1.Size; id++) permutation[id] = id <= v1.Kept ? v3.IdOf(v1.Values[id - 1]) : id;
            if (!partitioned.Contains(f)) Assert.Equal(Enumerable.Range(0, v1.Size), permutation);
            if (f >= schema.Query.Count) continue;
            var (c1, c3) = (a.Queries.Columns[f], b.Queries.Columns[f]);
            Assert.Equal((c1.Ids ?? c1.Values!).Select(id => permutation[id]), c3.Ids ?? c3.Values!);
            Assert.Equal(c1.Offsets, c3.Offsets);
        }

        // the order: partition by hash, then count descending, then ordinal, partition k after partitions < k
        var users = three.Vocabularies[0];
        Assert.Contains(0, partitioned);
        var offsets = three.Header.Partitions.Offsets[0];
        Assert.True(offsets[1] > 0 && offsets[2] > offsets[1] && offsets[3] > offsets[2], string.Join(",", offsets));
        for (var id = 1; id <= users.Kept; id++)
        {
            var k = VocabularyPartitioning.PartitionOf(VocabularyPartitioning.Hash(users.Values[id - 1]), 3);
            Assert.InRange(id, offsets[k] + 1, offsets[k + 1]);
            if (id == offsets[k] + 1) continue;
            var (prev, count, prevCount) = (users.Values[id - 2], users.Counts[id - 1], users.Counts[id - 2]);
            Assert.True(prevCount > count || (prevCount == count && string.CompareOrdinal(prev, users.Values[id - 1]) < 0), $"ids {id - 1}, {id}");
        }
    }

    /// <summary>An id's value, or its bucket's name (the buckets keep their ids).</summary>
    private static string Value(Vocabulary v, int id) => id == 0 ? "" : id <= v.Kept ? v.Text(id).ToString() : $"bucket {id - v.Kept}";

    [Fact]
    public void A_partition_sums_counts_applies_min_count_and_maps_each_shard_by_hand()
    {
        // shard 0: u1 ×3, u2 ×1, u3 ×2; shard 1: u1 ×1, u3 ×2, u4 ×2, u5 held out only (count 0)
        static LocalDictionary Dictionary(params (string Value, long Count)[] values)
        {
            var d = new LocalDictionary();
            foreach (var (v, n) in values) d.AddCount(d.IdOf(v), n);
            return d;
        }
        var shards = new[] { Dictionary(("u1", 3), ("u2", 1), ("u3", 2)), Dictionary(("u3", 2), ("u1", 1), ("u4", 2), ("u5", 0)) };
        var spec = new FeatureSpec { Name = "user", Type = FeatureType.Categorical, Side = FeatureSide.Query, MinCount = 2, OovBuckets = 4 };
        var merger = new VocabularyPartitionMerger([spec], 2);
        for (var s = 0; s < 2; s++)
        {
            var (d, _) = HashedDictionary.Build(shards[s]);
            merger.Add(s, 0, d, 0, d.Count);
        }
        var result = merger.Finish();
        var slice = result.Slices[0];
        // u1 4, u3 4 (tie: ordinal), u4 2; u2 (1) falls out, u5 (0) is no value of the vocabulary
        Assert.Equal(["u1", "u3", "u4"], Enumerable.Range(0, slice.Kept).Select(i => slice.Text(i).ToString()));
        Assert.Equal([4L, 4, 2], Enumerable.Range(0, slice.Kept).Select(slice.Count));
        Assert.Equal(1, slice.OovCount);
        Assert.Equal(5, slice.Distinct);

        var layout = VocabularyPartitions.From([0], [[3]]);
        var bucket = (string v) => 1 + 3 + Vocabulary.OovBucket(v, Vocabulary.SeedOf("user"), 4);
        Assert.Equal([0, 1, bucket("u2"), 2], layout.GlobalMap(0, [result.Maps[0][0]]));      // local ids of shard 0: u1, u2, u3
        Assert.Equal([0, 2, 1, 3, bucket("u5")], layout.GlobalMap(0, [result.Maps[1][0]]));   // shard 1: u3, u1, u4, u5
        // the bucket is where the single reduce's vocabulary puts an unknown value
        var counter = new ValueCounter();
        foreach (var d in shards) d.AddCountsTo(counter);
        Assert.Equal(bucket("u2"), Vocabulary.Build("user", counter, 2, 4).IdOf("u2"));
    }

    [Fact]
    public void A_key_column_with_one_value_per_row_goes_through_with_min_count_applied()
    {
        using var dir = new TempDirectory();
        dir.File("schema.json", """
            { "query": [ {"name": "user", "type": "categorical"} ],
              "item":  [ {"name": "item", "type": "categorical", "key": true, "min_count": 1} ],
              "split": {"holdout_fraction": 0.0, "seed": 1} }
            """);
        var rows = new StringBuilder("user,item\n");
        for (var i = 0; i < 3000; i++) rows.Append($"u{i},i{i % 20}\n");
        dir.File("interactions.csv", rows.ToString());
        foreach (var p in new[] { 1, 3 })
        {
            var d = Merge(dir.Path, p);
            var users = d.Vocabularies[0];
            Assert.Equal(0, users.Kept);                      // every user once: none reaches min_count 2
            Assert.Equal(3000, users.OovCount);
            Assert.Equal(1 + 0 + FeatureSpec.DefaultOovBuckets, users.Size);
            var ids = d.Train.Materialize().Queries.Columns[0].Ids!;
            Assert.Equal(3000, ids.Length);
            Assert.All(ids, id => Assert.InRange(id, 1, FeatureSpec.DefaultOovBuckets));
            Assert.Equal(users.IdOf("u17"), ids[17]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void An_item_key_in_two_parts_of_the_catalog_fails_naming_the_later_row(int partitions)
    {
        using var dir = new TempDirectory();
        dir.File("schema.json", """
            { "query": [ {"name": "user", "type": "categorical"} ],
              "item":  [ {"name": "item", "type": "categorical", "key": true}, {"name": "color", "type": "categorical"} ],
              "split": {"holdout_fraction": 0.0, "seed": 1} }
            """);
        dir.File("interactions.csv", "user,item\nu1,a\nu2,b\nu1,c\n");
        dir.File("part1.csv", "item,color\na,red\nb,blue\n");
        dir.File("part2.csv", "item,color\nc,red\nb,green\n");
        var schema = DatasetSchema.Load(Path.Combine(dir.Path, "schema.json"));
        var options = new DatasetReadOptions();
        PartialShard Encode(string file, bool catalog) =>
            ShardEncoder.Encode(SslRec.Core.Input.InputFile.Local(Path.Combine(dir.Path, file)), SslRec.Core.Input.InputRange.Whole, catalog, schema, withCatalog: true, options);
        var shards = new[] { Encode("interactions.csv", false) };
        var error = Assert.Throws<SslRec.Core.Reading.DataFormatException>(() =>
            ShardMerger.Reduce(schema, shards, [Encode("part1.csv", true), Encode("part2.csv", true)], partitions: partitions));
        Assert.Contains("duplicate item key 'b' (also in an earlier part of the catalog)", error.Message);
        Assert.Contains("part2.csv", error.Message);
        Assert.Contains("row 3", error.Message);
        // without the duplicate: the catalog's order is the corpus's (one partition), every item once
        dir.File("part2.csv", "item,color\nc,red\n");
        var reduced = ShardMerger.Reduce(schema, shards, [Encode("part1.csv", true), Encode("part2.csv", true)], partitions: partitions);
        Assert.Equal(["a", "b", "c"], reduced.Header.ItemKeys.Order());
        if (partitions == 1) Assert.Equal(["a", "b", "c"], reduced.Header.ItemKeys);
        Assert.Equal(3, reduced.Header.Report.CatalogItems);
    }

    [Fact]
    public void Partition_prefix_ranges_are_contiguous_and_cover_every_hash()
    {
        foreach (var p in new[] { 1, 2, 3, 7, 100, 4096 })
        {
            var next = 0;
            for (var k = 0; k < p; k++)
            {
                var (first, end) = VocabularyPartitioning.Prefixes(k, p);
                Assert.Equal(next, first);
                for (var prefix = first; prefix < end; prefix++)
                    Assert.Equal(k, VocabularyPartitioning.PartitionOf((ulong)prefix << (64 - VocabularyPartitioning.PrefixBits), p));
                next = end;
            }
            Assert.Equal(VocabularyPartitioning.MaxPartitions, next);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => VocabularyPartitioning.Prefixes(0, 4097));
        // the planner: as few partitions as keep each within the budget
        Assert.Equal(1, VocabularyPartitioning.Plan(0, 1 << 20));
        Assert.Equal(1, VocabularyPartitioning.Plan(1000, 1000 * VocabularyPartitioning.BytesPerValue));
        Assert.Equal(2, VocabularyPartitioning.Plan(1001, 1000 * VocabularyPartitioning.BytesPerValue));
        Assert.Equal(4096, VocabularyPartitioning.Plan(1e12, 1 << 20));
    }
}
