using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Core.Util;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// One partition of the vocabulary reduce: merges one hash range of every interaction shard's
/// <see cref="HashedDictionary"/> (per hashed feature, <see cref="VocabularyPartitioning.HashedSlots"/>) —
/// summed training counts, min_count, the order count descending then ordinal, exactly as
/// <see cref="Vocabulary.Build"/> — and gives each shard the map from its local ids to the partition's ids. A
/// query feature tied to the item key adds its values to the key's table. With the item side
/// (<see cref="ForSchema"/>) it also builds the partition's slice of the corpus from the shards' item entries
/// (<see cref="ShardItemEntries"/>: the catalog's, or each item's first row), counts the rows of known items,
/// notes each shard's rows of unknown items, and maps each shard's item keys to corpus indices. Memory: the
/// partition's distinct values (interned), its items, and one (local id, value) pair per shard and value,
/// never another partition's values.
/// </summary>
public sealed class VocabularyPartitionMerger
{
    private readonly FeatureSpec[] _features;
    private readonly int[] _owner;          // per feature: the position of the feature whose table its values join
    private readonly ValueTable?[] _tables;      // per owning feature
    private readonly int[]?[][] _locals;    // [feature][shard]: the shard's local ids, in entry order
    private readonly int[]?[][] _values;    // [feature][shard]: their ids in the table
    private readonly int _shards;
    private readonly ItemSide? _items;
    private readonly Utf8Chars _chars = new();

    /// <param name="features">features with a table of their own (their min_count and oov_buckets), in schema order</param>
    /// <param name="shards">interaction shards, numbered 0.. in the order the remap finds them (index order)</param>
    public VocabularyPartitionMerger(IReadOnlyList<FeatureSpec> features, int shards) : this(features, Enumerable.Range(0, features.Count).ToArray(), shards, null) { }

    private VocabularyPartitionMerger(IReadOnlyList<FeatureSpec> features, int[] owner, int shards, ItemSide? items)
    {
        _features = features.ToArray();
        _owner = owner;
        _shards = shards;
        _items = items;
        _tables = _features.Select((_, j) => owner[j] == j ? new ValueTable() : null).ToArray();
        _locals = _features.Select(_ => new int[shards][]).ToArray();
        _values = _features.Select(_ => new int[shards][]).ToArray();
    }

    /// <summary>The merger of a dataset's hashed features (in <see cref="VocabularyPartitioning.HashedSlots"/> order) with the item side.</summary>
    /// <param name="withCatalog">whether the dataset has a catalog (then it alone makes the corpus)</param>
    public static VocabularyPartitionMerger ForSchema(DatasetSchema schema, int shards, bool withCatalog)
    {
        var slots = VocabularyPartitioning.HashedSlots(schema);
        var keySlot = VocabularyPartitioning.KeySlot(schema);
        var keyPosition = Array.IndexOf(slots, keySlot);
        var owner = slots.Select((f, j) => schema.TableOwner(f) == keySlot ? keyPosition : j).ToArray();
        return new VocabularyPartitionMerger(slots.Select(f => schema.All[f]).ToArray(), owner, shards, new ItemSide(schema, keyPosition, withCatalog, shards));
    }

    /// <summary>Adds entries [start, end) of one shard's dictionary of feature <paramref name="feature"/> (its position among the merged features).</summary>
    public void Add(int shard, int feature, HashedDictionary entries, int start, int end)
    {
        if (_locals[feature][shard] is not null) throw new InvalidOperationException($"shard {shard} was added twice for feature '{_features[feature].Name}'");
        var table = _tables[_owner[feature]]!;
        var locals = _locals[feature][shard] = new int[end - start];
        var values = _values[feature][shard] = new int[end - start];
        for (var e = start; e < end; e++)
        {
            locals[e - start] = entries.LocalIds[e];
            values[e - start] = table.Add(_chars.Decode(entries.Utf8(e)), entries.Counts[e]);
        }
    }

    /// <summary>
    /// One interaction shard's item entries [start, end) (the same range as its item keys' entries, added first
    /// with <see cref="Add"/>): new items join the corpus (without a catalog), rows of known items are counted.
    /// </summary>
    public void AddItems(int shard, HashedDictionary keys, ShardItemEntries items, int start, int end)
    {
        var side = _items ?? throw new InvalidOperationException("this merger has no item side");
        CheckAligned(keys, items);
        var ids = _values[side.KeyPosition][shard] ?? throw new InvalidOperationException($"shard {shard}'s item keys were not added");
        side.AddInteractions(shard, _tables[side.KeyPosition]!, ids, keys, items, start, end);
    }

    /// <summary>A catalog shard's item keys and entries [start, end): each item joins the corpus, in catalog order; a key seen before is an error.</summary>
    public void AddCatalog(HashedDictionary keys, ShardItemEntries items, int start, int end)
    {
        var side = _items ?? throw new InvalidOperationException("this merger has no item side");
        CheckAligned(keys, items);
        var table = _tables[side.KeyPosition]!;
        // in catalog order, which is the shard's local id order
        var order = Enumerable.Range(start, end - start).ToArray();
        Array.Sort(keys.LocalIds[start..end], order);
        foreach (var e in order)
        {
            var text = _chars.Decode(keys.Utf8(e));
            side.AddCatalogItem(table.Add(text, keys.Counts[e]), text, items.Record(e), items.Source);
        }
    }

    private static void CheckAligned(HashedDictionary keys, ShardItemEntries items)
    {
        if (keys.Count != items.Count) throw new InvalidDataException($"{items.Source}: {keys.Count} item key entries but {items.Count} item entries");
    }

    /// <summary>The partition's slice of each owning feature's vocabulary, each shard's id maps and the item side (call once, after every shard).</summary>
    public VocabularyPartitionResult Finish()
    {
        var slices = new List<PartitionSlice>();
        var maps = new ShardIdMap[_shards][];
        for (var s = 0; s < _shards; s++) maps[s] = new ShardIdMap[_features.Length];
        var targets = new int[_features.Length][];
        for (var j = 0; j < _features.Length; j++)
        {
            if (_tables[j] is not { } state) continue;
            var spec = _features[j];
            var distinct = state.Table.Count - 1;
            var order = Vocabulary.KeptInOrder(state.Table, state.Counts, spec.MinCount, out var oov);
            // the partition-local target of each value: its id 1..N_k, or −(1 + its out-of-vocabulary bucket)
            var target = targets[j] = new int[distinct + 1];
            for (var i = 0; i < order.Length; i++) target[order[i]] = i + 1;
            var seed = Vocabulary.SeedOf(spec.Name);
            for (var id = 1; id <= distinct; id++)
                if (target[id] == 0) target[id] = -1 - Vocabulary.OovBucket(state.Table[id], seed, spec.OovBuckets);
            slices.Add(new PartitionSlice(spec.Name, state.Table, order, state.Counts, oov, distinct));
        }
        for (var j = 0; j < _features.Length; j++)
            for (var s = 0; s < _shards; s++)
            {
                var locals = _locals[j][s] ?? [];
                var values = _values[j][s] ?? [];
                if (_items is { } side && j == side.KeyPosition)
                    maps[s][j] = new ShardIdMap(locals, side.CorpusTargets[s] ?? []);
                else
                {
                    var target = targets[_owner[j]];
                    var mapped = new int[values.Length];
                    for (var i = 0; i < values.Length; i++) mapped[i] = target[values[i]];
                    maps[s][j] = new ShardIdMap(locals, mapped);
                }
                _values[j][s] = null;
            }
        var items = _items?.Finish(_tables[_items.KeyPosition]!.Table, targets[_items.KeyPosition]);
        return new VocabularyPartitionResult([.. slices], maps, items);
    }

    /// <summary>An owning feature's interned values and summed counts.</summary>
    private sealed class ValueTable
    {
        public readonly InternTable Table = new();
        public long[] Counts = new long[64];

        public int Add(ReadOnlySpan<char> text, long count)
        {
            var id = Table.IdOf(text);
            if (id == Counts.Length) Array.Resize(ref Counts, id * 2);
            Counts[id] += count;
            return id;
        }
    }

    /// <summary>The item key's corpus side of a partition.</summary>
    private sealed class ItemSide(DatasetSchema schema, int keyPosition, bool withCatalog, int shards)
    {
        private readonly CorpusSliceBuilder _corpus = new(schema);
        private int[] _corpusOf = Filled(64);         // key table id → index in the slice, −1 when not an item
        private readonly List<UnknownItems> _unknown = [];
        private long _trainRows, _evalRows;

        public int KeyPosition => keyPosition;
        /// <summary>Per interaction shard, aligned with its key entries: the item's index in the slice, or −1.</summary>
        public readonly int[]?[] CorpusTargets = new int[shards][];

        private static int[] Filled(int n)
        {
            var a = new int[n];
            Array.Fill(a, -1);
            return a;
        }

        private ref int CorpusOf(int keyId)
        {
            if (keyId >= _corpusOf.Length)
            {
                var grown = Filled(Math.Max(keyId + 1, _corpusOf.Length * 2));
                _corpusOf.CopyTo(grown, 0);
                _corpusOf = grown;
            }
            return ref _corpusOf[keyId];
        }

        public void AddCatalogItem(int keyId, ReadOnlySpan<char> key, ReadOnlySpan<byte> record, string source)
        {
            ref var item = ref CorpusOf(keyId);
            if (item >= 0)
                throw new DataFormatException(source, new ItemRecordReader(record).FirstRow, schema.ItemKey.Name, $"duplicate item key '{key}' (also in an earlier part of the catalog)");
            item = _corpus.Add(keyId, record);
        }

        public void AddInteractions(int shard, ValueTable keys, int[] ids, HashedDictionary entries, ShardItemEntries items, int start, int end)
        {
            if (!withCatalog)
            {
                // the shard's new items join in its row order, which is its local id order
                var fresh = new List<int>();
                for (var e = start; e < end; e++)
                    if (CorpusOf(ids[e - start]) < 0 && new ItemRecordReader(items.Record(e)).HasFeatures) fresh.Add(e);
                fresh.Sort((a, b) => entries.LocalIds[a].CompareTo(entries.LocalIds[b]));
                foreach (var e in fresh) CorpusOf(ids[e - start]) = _corpus.Add(ids[e - start], items.Record(e));
            }
            var targets = CorpusTargets[shard] = new int[end - start];
            long unknown = 0;
            var first = -1;
            for (var e = start; e < end; e++)
            {
                var item = targets[e - start] = CorpusOf(ids[e - start]);
                long train = entries.Counts[e], held = new ItemRecordReader(items.Record(e)).EvalRows;
                if (item >= 0)
                {
                    _corpus.AddTrainRows(item, train);
                    _trainRows += train;
                    _evalRows += held;
                }
                else
                {
                    unknown += train + held;
                    if (train + held > 0 && (first < 0 || entries.LocalIds[e] < entries.LocalIds[first])) first = e;
                }
            }
            if (unknown > 0)
                _unknown.Add(new UnknownItems(shard, unknown, entries.LocalIds[first], new ItemRecordReader(items.Record(first)).FirstRow,
                    keys.Table[ids[first - start]].ToString()));
        }

        public PartitionItems Finish(InternTable keyTable, int[] keyTarget) =>
            new(_corpus.Build(keyTable, keyTarget), _trainRows, _evalRows, [.. _unknown]);
    }
}

/// <summary>
/// One interaction shard's rows whose item is not in the corpus (not in the catalog), in one partition: how many,
/// and the first such item (lowest local id: first in the shard) with the row that names it — the header step
/// counts them as bad rows and reports the first.
/// </summary>
public sealed record UnknownItems(int Shard, long Rows, int LocalId, long Row, string Item);

/// <summary>A partition's item side: its slice of the corpus, the rows of known items, the shards' unknown items.</summary>
public sealed record PartitionItems(CorpusSlice Corpus, long TrainRows, long EvalRows, IReadOnlyList<UnknownItems> Unknown);

/// <summary>
/// What one partition produced: per owning feature its slice; per shard and merged feature its id map (the item
/// key's maps local ids to indices in the partition's corpus slice, −1 for an unknown item); the item side.
/// </summary>
public sealed record VocabularyPartitionResult(PartitionSlice[] Slices, ShardIdMap[][] Maps, PartitionItems? Items = null);

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

    /// <summary>Writes this item key map's corpus indices into <paramref name="map"/>: offset + index, or −1 for an unknown item.</summary>
    public void ApplyCorpusTo(int[] map, int corpusOffset)
    {
        for (var i = 0; i < LocalIds.Length; i++)
            map[LocalIds[i]] = Targets[i] >= 0 ? corpusOffset + Targets[i] : -1;
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
