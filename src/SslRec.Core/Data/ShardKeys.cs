using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// What the map step adds for the partitioned reduce, per hashed feature
/// (<see cref="VocabularyPartitioning.HashedSlots"/>): the shard's values ordered by hash, so a partition reads
/// its hash range alone, and a distinct-count sketch, so the planner can choose the number of partitions
/// before any dictionary is merged. (The local path holds them all; the pipeline's map stage builds and writes
/// one feature's at a time, <see cref="PartitionFormat.WriteKeys(Stream, int, Func{int, HashedDictionary})"/>.)
/// </summary>
public sealed record ShardKeys(HashedDictionary[] Dictionaries, HyperLogLog[] Sketches)
{
    public static ShardKeys Build(ShardVocabulary shard, IReadOnlyList<int> slots)
    {
        var built = slots.Select(f => HashedDictionary.Build(shard.Dictionaries[f])).ToArray();
        return new ShardKeys(built.Select(b => b.Dictionary).ToArray(), built.Select(b => b.Sketch).ToArray());
    }

    /// <summary>Estimated distinct values over all shards, summed over the hashed features.</summary>
    public static double EstimateDistinct(IEnumerable<HyperLogLog[]> shardSketches)
    {
        HyperLogLog[]? merged = null;
        foreach (var sketches in shardSketches)
        {
            merged ??= sketches.Select(_ => new HyperLogLog()).ToArray();
            for (var f = 0; f < sketches.Length; f++) merged[f].Merge(sketches[f]);
        }
        return merged?.Sum(s => s.Estimate()) ?? 0;
    }
}

/// <summary>
/// Where each partition's ids start, per partitioned feature (the dataset header records it): partition k
/// of feature j holds ids Offsets[j][k] + 1 .. Offsets[j][k + 1]; Offsets[j][Count] is the feature's N.
/// </summary>
public sealed record VocabularyPartitions(int Count, int[] Features, int[][] Offsets)
{
    /// <param name="keptByPartition">[partition][feature]: kept values of each partition</param>
    public static VocabularyPartitions From(int[] features, IReadOnlyList<IReadOnlyList<int>> keptByPartition)
    {
        var offsets = features.Select((_, j) =>
        {
            var o = new int[keptByPartition.Count + 1];
            for (var k = 0; k < keptByPartition.Count; k++) o[k + 1] = checked(o[k] + keptByPartition[k][j]);
            return o;
        }).ToArray();
        return new VocabularyPartitions(keptByPartition.Count, features, offsets);
    }

    public int Kept(int feature) => Offsets[feature][Count];

    /// <summary>One shard's local id → global id for partitioned feature j, from its maps of every partition (in partition order).</summary>
    public int[] GlobalMap(int feature, IReadOnlyList<ShardIdMap> byPartition)
    {
        if (byPartition.Count != Count) throw new ArgumentException($"{byPartition.Count} partitions' maps, expected {Count}");
        // every local id 1..n of the shard is in exactly one partition
        var map = new int[1 + byPartition.Sum(m => m.LocalIds.Length)];
        for (var k = 0; k < Count; k++) byPartition[k].ApplyTo(map, Offsets[feature][k], Kept(feature));
        return map;
    }
}
