using SslRec.Core.Schema;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// The reduce over shards held in memory (local reads, <see cref="DatasetEncoder"/>): the same steps as the
/// pipeline's, on the same classes — the hashed features' keys and sketches (<see cref="ShardKeys"/>) and the
/// item entries (<see cref="ShardItemEntries"/>), the planned number of partitions, each partition's merge
/// (<see cref="VocabularyPartitionMerger"/>: user ids, item keys and the corpus), the header step
/// (<see cref="VocabularyMerger"/>: the rest, and the corpus assembled from the partitions' slices), then each
/// shard remapped with its id maps into one example part. Locally the header keeps the partitioned features'
/// values (assembled from the slices in partition order), since the trainer in the same process needs them.
/// </summary>
public static class ShardMerger
{
    /// <param name="partitions">the number of vocabulary partitions; null: planned from the sketches and <paramref name="budgetBytes"/></param>
    public static EncodedDataset Merge(DatasetSchema schema, IReadOnlyList<PartialShard> interactions, IReadOnlyList<PartialShard> catalog, long maxBadRows = 0,
        int? partitions = null, long budgetBytes = VocabularyPartitioning.DefaultBudgetBytes)
    {
        var reduced = Reduce(schema, interactions, catalog, maxBadRows, partitions, budgetBytes);
        var remapper = new ShardRemapper(reduced.Tables);
        var parts = interactions.Select((s, index) => remapper.Remap(s.Rows, reduced.ItemMaps[index], reduced.HashedMaps(index))).ToList();
        return new EncodedDataset
        {
            Header = reduced.Header,
            Train = ExampleParts.InMemory(parts.Select(x => x.Train).ToList()),
            Eval = ExampleParts.InMemory(parts.Select(x => x.Eval).ToList()),
        };
    }

    /// <summary>What the reduce gives the remaps: the header, the remap tables, each interaction shard's item maps and partition maps.</summary>
    public sealed record Reduced(DatasetHeader Header, RemapTables Tables, IReadOnlyList<ShardItemMaps> ItemMaps, IReadOnlyList<VocabularyPartitionResult> Partitions)
    {
        /// <summary>Interaction shard s's local id → global id of each hashed slot (the item key's: → corpus index).</summary>
        public Dictionary<int, int[]> HashedMaps(int shard) => Tables.HashedMaps(Partitions.Select(r => (IReadOnlyList<ShardIdMap>)r.Maps[shard]).ToList());
    }

    /// <summary>The vocabulary reduce of shards held in memory (<see cref="Merge"/> without the remap).</summary>
    public static Reduced Reduce(DatasetSchema schema, IReadOnlyList<PartialShard> interactions, IReadOnlyList<PartialShard> catalog, long maxBadRows = 0,
        int? partitions = null, long budgetBytes = VocabularyPartitioning.DefaultBudgetBytes)
    {
        var partitioned = VocabularyPartitioning.PartitionedFeatures(schema);
        var slots = VocabularyPartitioning.HashedSlots(schema);
        var keyPosition = Array.IndexOf(slots, VocabularyPartitioning.KeySlot(schema));
        var keys = interactions.Select(s => ShardKeys.Build(s.Vocabulary, slots)).ToList();
        var items = interactions.Select((s, i) => ShardItemEntries.Build(s.Vocabulary, keys[i].Dictionaries[keyPosition], schema)).ToList();
        var catalogKeys = catalog.Select(s => ShardKeys.Build(s.Vocabulary, slots).Dictionaries[keyPosition]).ToList();
        var catalogItems = catalog.Select((s, i) => ShardItemEntries.Build(s.Vocabulary, catalogKeys[i], schema)).ToList();
        var p = partitions ?? VocabularyPartitioning.Plan(ShardKeys.EstimateDistinct(keys.Select(k => k.Sketches)), budgetBytes);

        var results = new VocabularyPartitionResult[p];
        for (var k = 0; k < p; k++)
        {
            var merger = VocabularyPartitionMerger.ForSchema(schema, keys.Count, withCatalog: catalog.Count > 0);
            for (var c = 0; c < catalog.Count; c++)
            {
                var (start, end) = catalogKeys[c].Range(k, p);
                merger.AddCatalog(catalogKeys[c], catalogItems[c], start, end);
            }
            for (var s = 0; s < keys.Count; s++)
                for (var j = 0; j < slots.Length; j++)
                {
                    var d = keys[s].Dictionaries[j];
                    var (start, end) = d.Range(k, p);
                    merger.Add(s, j, d, start, end);
                    if (j == keyPosition) merger.AddItems(s, d, items[s], start, end);
                }
            results[k] = merger.Finish();
        }
        var layout = VocabularyPartitions.From(partitioned, results.Select(r => (IReadOnlyList<int>)r.Slices.Select(x => x.Kept).ToArray()).ToArray());
        var vocabularies = new Dictionary<int, Vocabulary>();
        for (var j = 0; j < partitioned.Length; j++)
        {
            var spec = schema.All[partitioned[j]];
            var builder = new Vocabulary.Builder(spec.Name, spec.OovBuckets);
            foreach (var r in results)
            {
                var slice = r.Slices[j];
                for (var i = 0; i < slice.Kept; i++) builder.Add(slice.Text(i), slice.Count(i));
                builder.AddOov(slice.OovCount);
            }
            vocabularies[partitioned[j]] = builder.Build();
        }

        var header = new VocabularyMerger(schema, maxBadRows, withCatalog: catalog.Count > 0);
        foreach (var s in catalog) header.AddCatalog(s.Vocabulary);
        var itemMaps = interactions.Select((s, i) => header.AddInteractions(s.Vocabulary, results.SelectMany(r => r.Items!.Unknown.Where(u => u.Shard == i)).ToList())).ToList();
        for (var k = 0; k < p; k++) header.AddItemValues(k, results[k].Items!.Corpus.Values);
        header.BuildVocabularies(vocabularies, layout);
        for (var k = 0; k < p; k++) header.AddCorpus(k, results[k].Items!.Corpus);
        var (built, tables) = header.Finish(results.Sum(r => r.Items!.TrainRows), results.Sum(r => r.Items!.EvalRows));
        return new Reduced(built, tables, itemMaps, results);
    }
}
