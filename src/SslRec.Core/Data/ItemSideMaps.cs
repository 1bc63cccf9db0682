using SslRec.Core.Schema;

namespace SslRec.Core.Data;

/// <summary>
/// One interaction shard's item side in the header step's numbering (<see cref="VocabularyMerger.AddInteractions"/>),
/// so that the shard's remap needs no item key, and no value of a tied query feature, as text: the
/// remap's memory is its shard, never the corpus.
/// </summary>
/// <param name="Keys">local item key id → corpus index; −1 when the item is not in the corpus (and for id 0)</param>
/// <param name="Query">per query feature slot: for a tied feature, local id → merged id (the header step's
/// numbering of that feature's values, translated by <see cref="RemapTables"/>); null for a partitioned feature,
/// whose maps come from the vocabulary partitions</param>
public sealed record ShardItemMaps(int[] Keys, int[]?[] Query);

/// <summary>
/// What every remap of a run needs from the vocabulary reduce besides its own shard's maps: the schema, the
/// partition layout and, per tied query feature, merged id → global id (a few bytes per distinct value).
/// </summary>
/// <param name="Translations">per query feature slot: merged id → global id for a tied feature; null for a partitioned one</param>
public sealed record RemapTables(DatasetSchema Schema, VocabularyPartitions Partitions, int[]?[] Translations)
{
    /// <summary>Local id → global id of tied query feature <paramref name="slot"/> for one shard.</summary>
    public int[] TiedMap(int slot, ShardItemMaps shard)
    {
        var local = shard.Query[slot] ?? throw new InvalidDataException($"query feature '{Schema.Query[slot].Name}' has no id map in the shard's item maps");
        var translation = Translations[slot] ?? throw new InvalidDataException($"query feature '{Schema.Query[slot].Name}' has no translation in the remap tables");
        var map = new int[local.Length];
        for (var i = 0; i < map.Length; i++) map[i] = translation[local[i]];
        return map;
    }
}
