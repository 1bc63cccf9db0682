using SslRec.Core.Schema;
using SslRec.Core.Util;

namespace SslRec.Core.Vocab;

/// <summary>
/// How the vocabularies that grow with the data are reduced in P partitions: the big query-side features
/// (user ids: every query feature that does not share an item feature's table) and the item key (with the
/// query features that share its table, e.g. a link's source node, whose values join the key's). A value's
/// partition is a contiguous range of its 64-bit stable hash: the top <see cref="PrefixBits"/> bits (its
/// prefix) scaled to P. The map stage writes each shard's values of these features ordered by hash with a
/// byte offset per prefix (<see cref="HashedDictionary"/>; the item key's corpus rows alongside,
/// <see cref="Data.ShardItemEntries"/>), so any P up to <see cref="MaxPartitions"/> can be chosen after the
/// map, and a partition reads one byte range per shard and feature.
///
/// Id order (documented, and what training relies on): partition k's kept values (count ≥ min_count) take
/// ids offset_k + 1 .. offset_k + N_k, offset_k = N_0 + … + N_{k−1}, in the order of
/// <see cref="Vocabulary.Build"/> within the partition (count descending, then ordinal); the
/// out-of-vocabulary buckets stay at the end, 1 + N .. N + B, by <see cref="Vocabulary.OovBucket"/>. The
/// corpus is ordered the same way: partition k's items (in order of first appearance — catalog order, or
/// shard order then row order — among themselves) follow those of partitions &lt; k. With P = 1 both are
/// exactly the single reduce's order. Item features other than the key are counted per partition over its
/// items and merged once (their values are few: categories, brands).
/// </summary>
public static class VocabularyPartitioning
{
    public const int PrefixBits = 12;
    public const int MaxPartitions = 1 << PrefixBits;
    /// <summary>The seed of the partition hash (any constant: it only has to be the same in every stage).</summary>
    private const ulong HashSeed = 0x5EED_0F_9A27_17_10UL;

    /// <summary>
    /// What one distinct value costs a partition reduce, measured at 10M users (the interned value, its
    /// count, its id, and its local-id pairs in the shards it appears in): the planner's unit.
    /// </summary>
    public const int BytesPerValue = 120;

    /// <summary>Default memory budget of one partition's values (PipelineOptions.VocabularyPartitionBytes).</summary>
    public const long DefaultBudgetBytes = 128L << 20;

    public static ulong Hash(ReadOnlySpan<char> value) => StableHash.Hash(value, HashSeed);

    public static int Prefix(ulong hash) => (int)(hash >> (64 - PrefixBits));

    public static int PartitionOf(ulong hash, int partitions) => (int)((long)Prefix(hash) * partitions >> PrefixBits);

    /// <summary>The prefixes [First, End) of partition k of P: those whose <see cref="PartitionOf"/> is k.</summary>
    public static (int First, int End) Prefixes(int partition, int partitions)
    {
        if (partitions is < 1 or > MaxPartitions) throw new ArgumentOutOfRangeException(nameof(partitions), $"1..{MaxPartitions} partitions");
        if ((uint)partition >= (uint)partitions) throw new ArgumentOutOfRangeException(nameof(partition));
        static int Ceil(long k, int p) => (int)((k * MaxPartitions + p - 1) / p);
        return (Ceil(partition, partitions), Ceil(partition + 1, partitions));
    }

    /// <summary>
    /// The schema slots of the partitioned features — those with a vocabulary of their own that the partitions
    /// build: query features with a table of their own, and the item key (last).
    /// </summary>
    public static int[] PartitionedFeatures(DatasetSchema schema) =>
        [.. Enumerable.Range(0, schema.Query.Count).Where(f => schema.TableOwner(f) == f), KeySlot(schema)];

    /// <summary>
    /// The schema slots whose values the map writes ordered by hash and the partitions merge, in slot order: the
    /// partitioned features and the query features tied to the item key (their values join the key's table).
    /// </summary>
    public static int[] HashedSlots(DatasetSchema schema) =>
        Enumerable.Range(0, schema.All.Count).Where(f => f == KeySlot(schema) || (f < schema.Query.Count && schema.TableOwner(f) is var o && (o == f || o == KeySlot(schema)))).ToArray();

    public static int KeySlot(DatasetSchema schema) => schema.Query.Count + schema.ItemKeyIndex;

    /// <summary>
    /// The number of partitions for an estimated number of distinct values (summed over the partitioned
    /// features): as few as keep each partition's values within the budget.
    /// </summary>
    public static int Plan(double distinct, long budgetBytes)
    {
        if (budgetBytes <= 0) throw new ArgumentOutOfRangeException(nameof(budgetBytes), "the partition budget must be positive");
        var p = Math.Ceiling(distinct * BytesPerValue / budgetBytes);
        return (int)Math.Clamp(p, 1, MaxPartitions);
    }
}
