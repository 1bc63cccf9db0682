using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// The remap step of one shard: its local ids become global ids (the header's vocabularies) and its item
/// keys corpus indices; rows whose item is not in the corpus are dropped (the vocabulary reduce counted
/// them as bad rows). Memory: the shard and the header, never the rest of the dataset.
/// </summary>
public sealed class ShardRemapper
{
    private readonly DatasetHeader _header;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _corpus;
    private readonly int _q, _keySlot;

    public ShardRemapper(DatasetHeader header)
    {
        _header = header;
        _corpus = header.CorpusIndex().GetAlternateLookup<ReadOnlySpan<char>>();
        _q = header.Schema.Query.Count;
        _keySlot = _q + header.Schema.ItemKeyIndex;
    }

    /// <summary>The shard's training and held-out examples in global ids. Consumes the shard's rows (remapped in place).</summary>
    public (EncodedExamples Train, EncodedExamples Eval) Remap(ShardVocabulary vocabulary, ShardRows rows)
    {
        var keys = vocabulary.Dictionaries[_keySlot];
        var keyMap = new int[keys.Count];
        keyMap[0] = -1;
        for (var k = 1; k < keyMap.Length; k++) keyMap[k] = _corpus.TryGetValue(keys.Text(k), out var item) ? item : -1;
        var maps = new int[_q][];
        for (var f = 0; f < _q; f++) maps[f] = vocabulary.Dictionaries[f].GlobalIds(_header.Vocabularies[f]);
        return (RemapKnown(rows.TrainQueries, rows.TrainKeys, keyMap, maps), RemapKnown(rows.EvalQueries, rows.EvalKeys, keyMap, maps));
    }

    private static EncodedExamples RemapKnown(EncodedTable queries, int[] keys, int[] keyMap, int[][] maps)
    {
        var keep = new bool[keys.Length];
        var known = 0;
        for (var r = 0; r < keys.Length; r++)
            if (keep[r] = keyMap[keys[r]] >= 0) known++;
        var table = known == keys.Length ? queries : queries.Filter(keep);
        var items = new int[known];
        var at = 0;
        foreach (var k in keys)
            if (keyMap[k] >= 0) items[at++] = keyMap[k];
        // in place: the shard's own arrays (or the filtered copy) become the remapped part
        return new EncodedExamples(new EncodedTable(table.Columns.Select((c, f) => c.RemapInPlace(maps[f])).ToList(), table.RowCount), items);
    }
}

/// <summary>The reduce over shards held in memory (local reads): vocabulary merge, then each shard remapped into one example part.</summary>
public static class ShardMerger
{
    public static EncodedDataset Merge(Schema.DatasetSchema schema, IReadOnlyList<PartialShard> interactions, IReadOnlyList<PartialShard> catalog, long maxBadRows = 0)
    {
        var merger = new VocabularyMerger(schema, maxBadRows);
        foreach (var s in catalog) merger.AddCatalog(s.Vocabulary);
        foreach (var s in interactions) merger.AddInteractions(s.Vocabulary);
        var header = merger.Finish();
        var remapper = new ShardRemapper(header);
        var parts = interactions.Select(s => remapper.Remap(s.Vocabulary, s.Rows)).ToList();
        return new EncodedDataset
        {
            Header = header,
            Train = ExampleParts.InMemory(parts.Select(p => p.Train).ToList()),
            Eval = ExampleParts.InMemory(parts.Select(p => p.Eval).ToList()),
        };
    }
}
