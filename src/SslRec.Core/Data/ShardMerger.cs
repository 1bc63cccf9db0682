using SslRec.Core.Schema;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// The reduce over shards held in memory (local reads, <see cref="DatasetEncoder"/>): the same steps as the
/// pipeline's, on the same classes — the partitioned features' keys and sketches
/// (<see cref="ShardKeys"/>), the planned number of partitions, each partition's merge
/// (<see cref="VocabularyPartitionMerger"/>), the item side (<see cref="VocabularyMerger"/>, which maps each shard's
/// item keys and tied values), then each shard remapped with its id maps into one example part. Locally the header keeps the partitioned features'
/// values (assembled from the slices in partition order), since the trainer in the same process needs them.
/// </summary>
public static class ShardMerger
{
    /// <param name="partitions">the number of vocabulary partitions; null: planned from the sketches and <paramref name="budgetBytes"/></param>
    public static EncodedDataset Merge(DatasetSchema schema, IReadOnlyList<PartialShard> interactions, IReadOnlyList<PartialShard> catalog, long maxBadRows = 0,
        int? partitions = null, long budgetBytes = VocabularyPartitioning.DefaultBudgetBytes)
    {
        var partitioned = VocabularyPartitioning.PartitionedFeatures(schema);
        var specs = partitioned.Select(f => schema.All[f]).ToArray();
        var keys = interactions.Select(s => ShardKeys.Build(s.Vocabulary, partitioned)).ToList();
        var p = partitions ?? VocabularyPartitioning.Plan(ShardKeys.EstimateDistinct(keys.Select(k => k.Sketches)), budgetBytes);

        var results = new VocabularyPartitionResult[p];
        for (var k = 0; k < p; k++)
        {
            var merger = new VocabularyPartitionMerger(specs, keys.Count);
            for (var s = 0; s < keys.Count; s++)
                for (var j = 0; j < specs.Length; j++)
                {
                    var d = keys[s].Dictionaries[j];
                    var (start, end) = d.Range(k, p);
                    merger.Add(s, j, d, start, end);
                }
            results[k] = merger.Finish();
        }
        var layout = VocabularyPartitions.From(partitioned, results.Select(r => (IReadOnlyList<int>)r.Slices.Select(x => x.Kept).ToArray()).ToArray());
        var vocabularies = new Dictionary<int, Vocabulary>();
        for (var j = 0; j < specs.Length; j++)
        {
            var builder = new Vocabulary.Builder(specs[j].Name, specs[j].OovBuckets);
            foreach (var r in results)
            {
                var slice = r.Slices[j];
                for (var i = 0; i < slice.Kept; i++) builder.Add(slice.Text(i), slice.Count(i));
                builder.AddOov(slice.OovCount);
            }
            vocabularies[partitioned[j]] = builder.Build();
        }

        var items = new VocabularyMerger(schema, maxBadRows);
        foreach (var s in catalog) items.AddCatalog(s.Vocabulary);
        var itemMaps = interactions.Select(s => items.AddInteractions(s.Vocabulary)).ToList();
        var (header, tables) = items.Finish(vocabularies, layout);

        var remapper = new ShardRemapper(tables);
        var parts = interactions.Select((s, index) =>
        {
            var maps = partitioned.Select((f, j) => (f, layout.GlobalMap(j, results.Select(r => r.Maps[index][j]).ToArray()))).ToDictionary(x => x.f, x => x.Item2);
            return remapper.Remap(s.Rows, itemMaps[index], maps);
        }).ToList();
        return new EncodedDataset
        {
            Header = header,
            Train = ExampleParts.InMemory(parts.Select(x => x.Train).ToList()),
            Eval = ExampleParts.InMemory(parts.Select(x => x.Eval).ToList()),
        };
    }
}
