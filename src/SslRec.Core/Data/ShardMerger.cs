using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// The reduce step: merges partial shards (in input order) into one <see cref="EncodedDataset"/>.
/// 1. the corpus: the catalog's items, or each item's first row across the interaction shards;
/// 2. vocabularies: query features and the item key from summed training counts, other item features
///    counted over the corpus (each item once);
/// 3. every shard's local ids are mapped to global ids and the shards are concatenated.
/// The result does not depend on how the inputs were split into shards. The interaction shards are
/// consumed: their query columns are remapped in place and become parts of the result.
/// </summary>
public static class ShardMerger
{
    public static EncodedDataset Merge(DatasetSchema schema, IReadOnlyList<PartialShard> interactions, IReadOnlyList<PartialShard> catalog, long maxBadRows = 0)
    {
        var q = schema.Query.Count;
        var keySlot = q + schema.ItemKeyIndex;
        var withCatalog = catalog.Count > 0;
        var badMessages = interactions.Concat(catalog).SelectMany(s => s.BadRowMessages).Take(20).ToList();
        var badRows = interactions.Concat(catalog).Sum(s => s.BadRows);

        // 1. corpus
        var corpusSources = withCatalog ? catalog : interactions;
        var keyIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var corpus = new List<(int Shard, int Row)>();
        for (var s = 0; s < corpusSources.Count; s++)
        {
            var shard = corpusSources[s];
            var keys = shard.Items.Columns[schema.ItemKeyIndex].Ids!;
            for (var r = 0; r < shard.Items.RowCount; r++)
            {
                var key = shard.Dictionaries[keySlot][keys[r]];
                if (keyIndex.TryAdd(key, corpus.Count)) corpus.Add((s, r));
                else if (withCatalog)
                    throw new DataFormatException(shard.Source, shard.ItemRows[r], schema.ItemKey.Name, $"duplicate item key '{key}' (also in an earlier part of the catalog)");
            }
        }

        // Interaction rows whose item is not in the catalog are bad rows.
        var keyMaps = interactions.Select(s => KeyToCorpus(s, keySlot, keyIndex)).ToArray();
        long unknownRows = 0;
        for (var s = 0; s < interactions.Count; s++)
        {
            var map = keyMaps[s];
            var unknown = interactions[s].TrainKeys.Concat(interactions[s].EvalKeys).Count(k => map[k] < 0);
            if (unknown == 0) continue;
            var first = Enumerable.Range(1, map.Length - 1).First(k => map[k] < 0);
            var message = new DataFormatException(interactions[s].Source, interactions[s].FirstRowOfKey[first], schema.ItemKey.Name,
                $"item '{interactions[s].Dictionaries[keySlot][first]}' is not in the catalog").Message;
            if (badRows + unknownRows + unknown > maxBadRows)
                throw new DataFormatException(interactions[s].Source, interactions[s].FirstRowOfKey[first], schema.ItemKey.Name,
                    $"item '{interactions[s].Dictionaries[keySlot][first]}' is not in the catalog" + (unknown > 1 ? $" ({unknown} rows of this file name unknown items)" : ""));
            unknownRows += unknown;
            if (badMessages.Count < 20) badMessages.Add(message);
        }
        if (badRows + unknownRows > maxBadRows)
            throw new InvalidDataException($"{badRows + unknownRows} bad rows exceed the allowance of {maxBadRows}; first: {badMessages.FirstOrDefault()}");

        // 2. vocabularies
        var counters = schema.All.Select(_ => new ValueCounter()).ToArray();
        foreach (var shard in interactions)
        {
            for (var f = 0; f < q; f++) shard.Dictionaries[f].AddCountsTo(counters[f]);
            shard.Dictionaries[keySlot].AddCountsTo(counters[keySlot]);
        }
        foreach (var (s, r) in corpus)
        {
            var shard = corpusSources[s];
            for (var f = 0; f < schema.Item.Count; f++)
            {
                if (f == schema.ItemKeyIndex) continue;
                foreach (var id in shard.Items.Columns[f].Bag(r))
                    if (id != 0) counters[q + f].Add(shard.Dictionaries[q + f][id]);
            }
        }
        // A tied query feature and its item feature get one vocabulary over the union of their values
        // (counts added) with the item feature's settings; both slots hold the same object.
        for (var f = 0; f < q; f++)
            if (schema.TableOwner(f) is var owner && owner != f) counters[owner].Merge(counters[f]);
        var vocabularies = new Vocabulary[schema.All.Count];
        for (var i = q; i < schema.All.Count; i++)
            vocabularies[i] = Vocabulary.Build(schema.All[i].Name, counters[i], schema.All[i].MinCount, schema.All[i].OovBuckets);
        for (var f = 0; f < q; f++)
            vocabularies[f] = schema.TableOwner(f) is var owner && owner != f
                ? vocabularies[owner]
                : Vocabulary.Build(schema.All[f].Name, counters[f], schema.All[f].MinCount, schema.All[f].OovBuckets);

        // 3. remap and concatenate
        var itemColumns = schema.Item.Select((spec, f) =>
        {
            var maps = corpusSources.Select(s => GlobalIds(s.Dictionaries[q + f], vocabularies[q + f])).ToArray();
            // Group consecutive corpus rows of the same shard to remap them in one go.
            var parts = corpus.GroupBy(c => c.Shard).Select(g =>
            {
                var shard = corpusSources[g.Key];
                var keep = new bool[shard.Items.RowCount];
                foreach (var (_, row) in g) keep[row] = true;
                return shard.Items.Columns[f].Filter(keep).RemapInPlace(maps[g.Key]);
            }).ToList();
            return FeatureColumn.Concat(spec, parts);
        }).ToList();

        var trainCounts = new long[corpus.Count];
        var trainParts = new List<EncodedTable>();
        var evalParts = new List<EncodedTable>();
        var trainItems = new List<int>();
        var evalItems = new List<int>();
        for (var s = 0; s < interactions.Count; s++)
        {
            var shard = interactions[s];
            var maps = Enumerable.Range(0, q).Select(f => GlobalIds(shard.Dictionaries[f], vocabularies[f])).ToArray();
            trainParts.Add(RemapKnown(shard.TrainQueries, shard.TrainKeys, keyMaps[s], maps, trainItems));
            evalParts.Add(RemapKnown(shard.EvalQueries, shard.EvalKeys, keyMaps[s], maps, evalItems));
        }
        foreach (var i in trainItems) trainCounts[i]++;

        var keysByIndex = new string[corpus.Count];
        foreach (var (key, i) in keyIndex) keysByIndex[i] = key;
        return new EncodedDataset
        {
            Schema = schema,
            Vocabularies = vocabularies,
            Items = new EncodedTable(itemColumns, corpus.Count),
            ItemKeys = keysByIndex,
            ItemTrainCounts = trainCounts,
            Train = new EncodedExamples(EncodedTable.Concat(schema.Query, trainParts), trainItems.ToArray()),
            Eval = new EncodedExamples(EncodedTable.Concat(schema.Query, evalParts), evalItems.ToArray()),
            Report = new ReadReport
            {
                RowsRead = interactions.Sum(s => s.RowsRead),
                TrainRows = trainItems.Count,
                EvalRows = evalItems.Count,
                RowsOutsideFraction = interactions.Sum(s => s.RowsOutsideFraction),
                BadRows = badRows + unknownRows,
                BadRowMessages = badMessages,
                CatalogItems = withCatalog ? corpus.Count : 0,
            },
        };
    }

    /// <summary>local key id → corpus index, or −1 when the item is not in the corpus.</summary>
    private static int[] KeyToCorpus(PartialShard shard, int keySlot, Dictionary<string, int> keyIndex)
    {
        var dictionary = shard.Dictionaries[keySlot];
        var map = new int[dictionary.Count];
        map[0] = -1;
        for (var k = 1; k < map.Length; k++) map[k] = keyIndex.GetValueOrDefault(dictionary[k], -1);
        return map;
    }

    private static int[] GlobalIds(LocalDictionary local, Vocabulary global)
    {
        var map = new int[local.Count];
        for (var i = 1; i < map.Length; i++) map[i] = global.IdOf(local.Text(i));
        return map;
    }

    private static EncodedTable RemapKnown(EncodedTable queries, int[] keys, int[] keyMap, int[][] maps, List<int> items)
    {
        var keep = keys.Select(k => keyMap[k] >= 0).ToArray();
        var table = keep.All(k => k) ? queries : queries.Filter(keep);
        foreach (var k in keys)
            if (keyMap[k] >= 0) items.Add(keyMap[k]);
        // in place: the shard's own arrays (or the filtered copy) become the remapped part
        return new EncodedTable(table.Columns.Select((c, f) => c.RemapInPlace(maps[f])).ToList(), table.RowCount);
    }
}
