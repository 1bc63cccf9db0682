using SslRec.Core.Schema;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// One interaction shard's query features tied to an item feature other than the key, in the header step's
/// numbering (<see cref="VocabularyMerger.AddInteractions"/>), so that the shard's remap needs none of their
/// values as text. (The item key's map and those of the features tied to it come from the vocabulary
/// partitions, like the user ids'.)
/// </summary>
/// <param name="Query">per query feature slot: for a feature tied to an item feature other than the key, local id →
/// merged id (translated by <see cref="RemapTables"/>); null for the others</param>
public sealed record ShardItemMaps(int[]?[] Query);

/// <summary>
/// What every remap of a run needs from the vocabulary reduce besides its own shard's maps: the schema, the
/// partition layout, where each partition's items start in the corpus and, per query feature tied to an item
/// feature other than the key, merged id → global id (a few bytes per distinct value).
/// </summary>
/// <param name="CorpusOffsets">partition k's items are corpus indices CorpusOffsets[k] .. CorpusOffsets[k + 1] − 1</param>
/// <param name="Translations">per query feature slot: merged id → global id for a feature tied to a non-key item feature; null for the others</param>
public sealed record RemapTables(DatasetSchema Schema, VocabularyPartitions Partitions, int[] CorpusOffsets, int[]?[] Translations)
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

    /// <summary>
    /// One shard's local id → global id of each hashed slot (<see cref="VocabularyPartitioning.HashedSlots"/>) — for
    /// the item key, → corpus index (−1: not in the corpus) — from its maps in every partition ([partition][slot position]).
    /// </summary>
    public Dictionary<int, int[]> HashedMaps(IReadOnlyList<IReadOnlyList<ShardIdMap>> byPartition)
    {
        if (byPartition.Count != Partitions.Count) throw new ArgumentException($"{byPartition.Count} partitions' maps, expected {Partitions.Count}");
        var slots = VocabularyPartitioning.HashedSlots(Schema);
        var keySlot = VocabularyPartitioning.KeySlot(Schema);
        var maps = new Dictionary<int, int[]>();
        for (var j = 0; j < slots.Length; j++)
        {
            var sections = byPartition.Select(p => p[j]).ToArray();
            if (slots[j] == keySlot)
            {
                // every local key id 1..n of the shard is in exactly one partition
                var map = new int[1 + sections.Sum(m => m.LocalIds.Length)];
                map[0] = -1;
                for (var k = 0; k < sections.Length; k++) sections[k].ApplyCorpusTo(map, CorpusOffsets[k]);
                maps[slots[j]] = map;
            }
            else maps[slots[j]] = Partitions.GlobalMap(Array.IndexOf(Partitions.Features, Schema.TableOwner(slots[j])), sections);
        }
        return maps;
    }
}
