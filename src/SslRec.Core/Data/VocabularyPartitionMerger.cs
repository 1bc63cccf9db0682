using System.Text;
using SslRec.Core.Schema;
using SslRec.Core.Util;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// One partition of the vocabulary reduce: merges one hash range of every interaction shard's
/// <see cref="HashedDictionary"/> (per partitioned feature) — summed training counts, min_count, the
/// order count descending then ordinal, exactly as <see cref="Vocabulary.Build"/> — and gives each shard
/// the map from its local ids to the partition's ids. Memory: the partition's distinct values (interned)
/// and one (local id, value) pair per shard and value, never another partition's values.
/// </summary>
public sealed class VocabularyPartitionMerger
{
    private readonly FeatureSpec[] _features;
    private readonly FeatureState[] _state;
    private readonly int _shards;
    private char[] _chars = new char[256];

    /// <param name="features">the partitioned features (their min_count and oov_buckets), in schema order</param>
    /// <param name="shards">interaction shards, numbered 0.. in the order the remap finds them (index order)</param>
    public VocabularyPartitionMerger(IReadOnlyList<FeatureSpec> features, int shards)
    {
        _features = features.ToArray();
        _shards = shards;
        _state = _features.Select(_ => new FeatureState(shards)).ToArray();
    }

    /// <summary>Adds entries [start, end) of one shard's dictionary of feature <paramref name="feature"/> (its position among the partitioned features).</summary>
    public void Add(int shard, int feature, HashedDictionary entries, int start, int end)
    {
        var state = _state[feature];
        if (state.Locals[shard] is not null) throw new InvalidOperationException($"shard {shard} was added twice for feature '{_features[feature].Name}'");
        var locals = state.Locals[shard] = new int[end - start];
        var values = state.Values[shard] = new int[end - start];
        for (var e = start; e < end; e++)
        {
            var text = Decode(entries.Utf8(e));
            var id = state.Table.IdOf(text);
            if (id == state.Counts.Length) Array.Resize(ref state.Counts, id * 2);
            state.Counts[id] += entries.Counts[e];
            locals[e - start] = entries.LocalIds[e];
            values[e - start] = id;
        }
    }

    private ReadOnlySpan<char> Decode(ReadOnlySpan<byte> utf8)
    {
        var n = Encoding.UTF8.GetMaxCharCount(utf8.Length);
        if (n > _chars.Length) _chars = new char[Math.Max(n, _chars.Length * 2)];
        return _chars.AsSpan(0, Encoding.UTF8.GetChars(utf8, _chars));
    }

    /// <summary>The partition's slice of each feature's vocabulary and each shard's id maps (call once, after every shard).</summary>
    public VocabularyPartitionResult Finish()
    {
        var slices = new PartitionSlice[_features.Length];
        var maps = new ShardIdMap[_shards][];
        for (var s = 0; s < _shards; s++) maps[s] = new ShardIdMap[_features.Length];
        for (var f = 0; f < _features.Length; f++)
        {
            var spec = _features[f];
            var state = _state[f];
            var table = state.Table;
            var counts = state.Counts;
            var distinct = table.Count - 1;
            var order = Vocabulary.KeptInOrder(table, counts, spec.MinCount, out var oov);
            // the partition-local target of each value: its id 1..N_k, or −(1 + its out-of-vocabulary bucket)
            var target = new int[distinct + 1];
            for (var i = 0; i < order.Length; i++) target[order[i]] = i + 1;
            var seed = Vocabulary.SeedOf(spec.Name);
            for (var id = 1; id <= distinct; id++)
                if (target[id] == 0) target[id] = -1 - Vocabulary.OovBucket(table[id], seed, spec.OovBuckets);
            for (var s = 0; s < _shards; s++)
            {
                var locals = state.Locals[s] ?? [];
                var values = state.Values[s] ?? [];
                var targets = new int[values.Length];
                for (var i = 0; i < values.Length; i++) targets[i] = target[values[i]];
                maps[s][f] = new ShardIdMap(locals, targets);
                state.Values[s] = null;
            }
            slices[f] = new PartitionSlice(spec.Name, table, order, counts, oov, distinct);
        }
        return new VocabularyPartitionResult(slices, maps);
    }

    private sealed class FeatureState(int shards)
    {
        public readonly InternTable Table = new();
        public long[] Counts = new long[64];
        public readonly int[]?[] Locals = new int[shards][];
        public readonly int[]?[] Values = new int[shards][];
    }
}

/// <summary>What one partition produced: per partitioned feature its slice, per shard and feature its id map.</summary>
public sealed record VocabularyPartitionResult(PartitionSlice[] Slices, ShardIdMap[][] Maps);

/// <summary>
/// One shard's values of one feature in one partition: local id → target, where a target t &gt; 0 is the
/// partition-local id (global id = the partition's offset + t) and t &lt; 0 names out-of-vocabulary bucket
/// −t − 1 (global id = 1 + N + bucket).
/// </summary>
public sealed record ShardIdMap(int[] LocalIds, int[] Targets)
{
    /// <summary>Writes this map's global ids into <paramref name="map"/> (indexed by local id).</summary>
    public void ApplyTo(int[] map, int offset, int kept)
    {
        for (var i = 0; i < LocalIds.Length; i++)
            map[LocalIds[i]] = Targets[i] > 0 ? offset + Targets[i] : 1 + kept + (-Targets[i] - 1);
    }
}

/// <summary>A partition's kept values of one feature in id order, with their counts; the values that fell out, summed.</summary>
public sealed class PartitionSlice(string feature, InternTable table, int[] order, long[] counts, long oovCount, int distinct)
{
    public string Feature => feature;
    public int Kept => order.Length;
    public long OovCount => oovCount;
    /// <summary>Distinct values of the partition (kept or not) — the planner's estimate checked against the truth.</summary>
    public int Distinct => distinct;
    public ReadOnlySpan<char> Text(int i) => table[order[i]];
    public long Count(int i) => counts[order[i]];
}
