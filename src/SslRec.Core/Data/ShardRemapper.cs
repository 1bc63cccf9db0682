using SslRec.Core.Schema;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// The remap step of one shard: its local ids become global ids (the header's vocabularies) and its item
/// keys corpus indices; rows whose item is not in the corpus are dropped (the vocabulary reduce counted
/// them as bad rows). The partitioned features' maps come from the partition reduce (their vocabularies are
/// not in the header). Memory: the shard, its id maps and the header's item side, never the rest of the dataset.
/// </summary>
public sealed class ShardRemapper
{
    private readonly IReadOnlyList<Vocabulary?> _vocabularies; // the query features' (a tied one: its item feature's)
    private readonly InternTable _corpus; // item key → corpus index + 1
    private readonly int _q, _keySlot;

    public ShardRemapper(DatasetHeader header) : this(header.Schema, header.Vocabularies, header.CorpusIndex())
    {
    }

    /// <param name="vocabularies">by schema slot; only the query features' are read</param>
    /// <param name="corpus">item key → corpus index + 1</param>
    public ShardRemapper(DatasetSchema schema, IReadOnlyList<Vocabulary?> vocabularies, InternTable corpus)
    {
        _vocabularies = vocabularies;
        _corpus = corpus;
        _q = schema.Query.Count;
        _keySlot = _q + schema.ItemKeyIndex;
    }

    /// <summary>The shard's training and held-out examples in global ids. Consumes the shard's rows (remapped in place).</summary>
    /// <param name="partitionedMaps">local id → global id of each partitioned feature (by schema slot), from the partition reduce's id maps</param>
    public (EncodedExamples Train, EncodedExamples Eval) Remap(ShardVocabulary vocabulary, ShardRows rows, IReadOnlyDictionary<int, int[]> partitionedMaps)
    {
        var keys = vocabulary.Dictionaries[_keySlot];
        var keyMap = new int[keys.Count];
        keyMap[0] = -1;
        for (var k = 1; k < keyMap.Length; k++) keyMap[k] = _corpus.Find(keys.Text(k)) - 1;
        var maps = new int[_q][];
        for (var f = 0; f < _q; f++)
            maps[f] = partitionedMaps.TryGetValue(f, out var given) ? given : vocabulary.Dictionaries[f].GlobalIds(_vocabularies[f]!);
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
