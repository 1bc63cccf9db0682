using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// The remap step of one shard: its local ids become global ids and its item keys corpus indices; rows whose
/// item is not in the corpus are dropped (the vocabulary reduce counted them as bad rows). Every map is an
/// int array written by the reduce — the hashed features' (user ids, the item key and the features tied to
/// it) by the partitions, translated by <see cref="RemapTables.HashedMaps"/>; the features tied to other item
/// features by the header step (<see cref="ShardItemMaps"/>) — so memory is the shard and its maps: no
/// vocabulary, no corpus, no value as text.
/// </summary>
public sealed class ShardRemapper(RemapTables tables)
{
    /// <summary>The shard's training and held-out examples in global ids. Consumes the shard's rows (remapped in place).</summary>
    /// <param name="items">the shard's item maps, from the header step</param>
    /// <param name="hashedMaps">local id → global id of each hashed slot (the item key's: → corpus index), <see cref="RemapTables.HashedMaps"/></param>
    public (EncodedExamples Train, EncodedExamples Eval) Remap(ShardRows rows, ShardItemMaps items, IReadOnlyDictionary<int, int[]> hashedMaps)
    {
        var maps = new int[tables.Schema.Query.Count][];
        for (var f = 0; f < maps.Length; f++)
            maps[f] = hashedMaps.TryGetValue(f, out var given) ? given : tables.TiedMap(f, items);
        var keys = hashedMaps[VocabularyPartitioning.KeySlot(tables.Schema)];
        return (RemapKnown(rows.TrainQueries, rows.TrainKeys, keys, maps), RemapKnown(rows.EvalQueries, rows.EvalKeys, keys, maps));
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
