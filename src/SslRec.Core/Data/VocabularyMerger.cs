using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Core.Util;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// The vocabulary reduce: takes the map shards' <see cref="ShardVocabulary"/> one at a time (catalog
/// shards first, then interaction shards, each in input order) and keeps only what grows with distinct
/// values: summed training counts per tied query feature and item key, the item corpus (the catalog's items,
/// or each item's first row across the interaction shards) with its feature values, and row totals.
/// Every distinct item key and tied value gets a merged id (the order of first appearance) in an interned
/// table; each interaction shard's local ids are mapped to those as it is added (<see cref="ShardItemMaps"/>),
/// so its remap needs no text. <see cref="Finish"/> builds the global vocabularies, the encoded corpus and the
/// merged id → global id translations (<see cref="RemapTables"/>). The result does not depend on how the
/// input was split into shards; the shards' rows are remapped afterwards, one shard at a time
/// (<see cref="ShardRemapper"/>).
///
/// The partitioned features (<see cref="VocabularyPartitioning.PartitionedFeatures"/>: the big query-side
/// ones) are not counted here: their vocabularies come from the partition reduce
/// (<see cref="VocabularyPartitionMerger"/>) and are handed to <see cref="Finish"/>, so this merger's memory
/// grows with items and item feature values only.
/// </summary>
public sealed class VocabularyMerger
{
    private readonly DatasetSchema _schema;
    private readonly long _maxBadRows;
    private readonly int _q, _keySlot;
    private readonly LocalDictionary?[] _tiedValues;   // per query slot, a tied feature's values: merged ids, training occurrences
    private readonly LocalDictionary _keys = new();     // every item key seen: merged ids, training occurrences
    private readonly List<int> _corpusOfKey = [-1];     // merged key id → corpus index, −1 when not in the corpus
    private readonly IntList _corpusKeys = new();       // corpus index → merged key id
    private readonly List<long> _itemTrainCounts = [];
    private readonly CorpusColumn[] _itemColumns;      // item features of the corpus, in corpus-local ids
    private readonly List<string> _badMessages = [];
    private readonly bool[] _partitioned;
    private bool _withCatalog, _sawInteractions;
    private long _rowsRead, _trainRows, _evalRows, _outside, _badRows, _unknownRows;

    public VocabularyMerger(DatasetSchema schema, long maxBadRows)
    {
        _partitioned = new bool[schema.All.Count];
        foreach (var f in VocabularyPartitioning.PartitionedFeatures(schema)) _partitioned[f] = true;
        _schema = schema;
        _maxBadRows = maxBadRows;
        _q = schema.Query.Count;
        _keySlot = _q + schema.ItemKeyIndex;
        _tiedValues = Enumerable.Range(0, _q).Select(f => _partitioned[f] ? null : new LocalDictionary()).ToArray();
        _itemColumns = schema.Item.Select(f => new CorpusColumn(f)).ToArray();
    }

    public void AddCatalog(ShardVocabulary shard)
    {
        if (_sawInteractions) throw new InvalidOperationException("catalog shards must be merged before interaction shards");
        _withCatalog = true;
        AddBadRows(shard);
        var keys = shard.Items.Columns[_schema.ItemKeyIndex].Ids!;
        var keyMap = MergeKeys(shard.Dictionaries[_keySlot]); // a catalog's keys count no training rows
        for (var r = 0; r < shard.Items.RowCount; r++)
            if (!TryAddItem(shard, r, keyMap[keys[r]]))
                throw new DataFormatException(shard.Source, shard.ItemRows[r], _schema.ItemKey.Name,
                    $"duplicate item key '{shard.Dictionaries[_keySlot][keys[r]]}' (also in an earlier part of the catalog)");
    }

    /// <returns>the shard's item keys and tied values in this merger's numbering (what its remap needs)</returns>
    public ShardItemMaps AddInteractions(ShardVocabulary shard)
    {
        _sawInteractions = true;
        AddBadRows(shard);
        _rowsRead += shard.RowsRead;
        _outside += shard.RowsOutsideFraction;
        var tied = new int[]?[_q];
        for (var f = 0; f < _q; f++)
            if (_tiedValues[f] is { } values) tied[f] = values.Merge(shard.Dictionaries[f]);
        var keyDictionary = shard.Dictionaries[_keySlot];
        var keyMap = MergeKeys(keyDictionary);
        if (!_withCatalog)
        {
            // the shard's item rows are the first row of each of its items; an item seen in an earlier shard keeps that one
            var keys = shard.Items.Columns[_schema.ItemKeyIndex].Ids!;
            for (var r = 0; r < shard.Items.RowCount; r++) TryAddItem(shard, r, keyMap[keys[r]]);
        }

        // Rows whose item is not in the corpus (not in the catalog) are bad rows.
        long unknown = 0;
        var firstUnknown = 0;
        keyMap[0] = -1;
        for (var k = 1; k < keyDictionary.Count; k++)
        {
            long train = keyDictionary.Counts[k], held = shard.EvalRowsOfKey[k];
            var item = keyMap[k] = _corpusOfKey[keyMap[k]];
            if (item >= 0)
            {
                _itemTrainCounts[item] += train;
                _trainRows += train;
                _evalRows += held;
            }
            else
            {
                unknown += train + held;
                if (firstUnknown == 0 && train + held > 0) firstUnknown = k;
            }
        }
        var maps = new ShardItemMaps(keyMap, tied);
        if (unknown == 0) return maps;
        var what = $"item '{keyDictionary[firstUnknown]}' is not in the catalog";
        if (_badRows + _unknownRows + unknown > _maxBadRows)
            throw new DataFormatException(shard.Source, shard.FirstRowOfKey[firstUnknown], _schema.ItemKey.Name,
                what + (unknown > 1 ? $" ({unknown} rows of this file name unknown items)" : ""));
        _unknownRows += unknown;
        if (_badMessages.Count < 20)
            _badMessages.Add(new DataFormatException(shard.Source, shard.FirstRowOfKey[firstUnknown], _schema.ItemKey.Name, what).Message);
        return maps;
    }

    /// <summary>The global vocabularies, the encoded corpus and the remaps' translations (call once, after every shard).</summary>
    /// <param name="partitioned">the vocabulary of each partitioned feature (by schema slot), from the partition reduce</param>
    /// <param name="partitions">where each partition's ids start</param>
    public (DatasetHeader Header, RemapTables Remap) Finish(IReadOnlyDictionary<int, Vocabulary> partitioned, VocabularyPartitions partitions)
    {
        for (var f = 0; f < _partitioned.Length; f++)
            if (_partitioned[f] != partitioned.ContainsKey(f))
                throw new ArgumentException($"feature '{_schema.All[f].Name}': {(_partitioned[f] ? "a partitioned feature needs its vocabulary" : "is not partitioned")}");
        if (_badRows + _unknownRows > _maxBadRows)
            throw new InvalidDataException($"{_badRows + _unknownRows} bad rows exceed the allowance of {_maxBadRows}; first: {_badMessages.FirstOrDefault()}");

        // Item features other than the key are counted over the corpus, each item once.
        var counted = new LocalDictionary[_schema.Item.Count];
        for (var f = 0; f < counted.Length; f++) counted[f] = f == _schema.ItemKeyIndex ? _keys : _itemColumns[f].Values;
        // A tied query feature and its item feature get one vocabulary over the union of their values
        // (counts added) with the item feature's settings; both slots hold the same object. (Added in place:
        // the item side is complete, and the new ids are past every shard's map.)
        for (var f = 0; f < _q; f++)
            if (_schema.TableOwner(f) is var owner && owner != f) counted[owner - _q].Merge(_tiedValues[f]!);
        var vocabularies = new Vocabulary[_schema.All.Count];
        for (var i = _q; i < _schema.All.Count; i++)
            vocabularies[i] = Vocabulary.Build(_schema.All[i].Name, counted[i - _q], _schema.All[i].MinCount, _schema.All[i].OovBuckets);
        for (var f = 0; f < _q; f++)
            vocabularies[f] = _schema.TableOwner(f) is var owner && owner != f ? vocabularies[owner] : partitioned[f];

        var keyIds = _keys.GlobalIds(vocabularies[_keySlot]);
        var corpusKeys = _corpusKeys.AsSpan();
        var keyColumn = new int[corpusKeys.Length];
        var keyTable = new InternTable(); // the corpus's keys in corpus order, without a string each
        for (var i = 0; i < corpusKeys.Length; i++)
        {
            keyColumn[i] = keyIds[corpusKeys[i]];
            keyTable.IdOf(_keys.Text(corpusKeys[i]));
        }
        var itemKeys = new InternedList(keyTable, corpusKeys.Length);
        var items = _schema.Item.Select((spec, f) => f == _schema.ItemKeyIndex ? new FeatureColumn(spec, keyColumn) : _itemColumns[f].Build(vocabularies[_q + f])).ToList();
        var translations = _tiedValues.Select((values, f) => values?.GlobalIds(vocabularies[f])).ToArray();
        var header = new DatasetHeader
        {
            Schema = _schema,
            Vocabularies = vocabularies,
            Partitions = partitions,
            Items = new EncodedTable(items, itemKeys.Count),
            ItemKeys = itemKeys,
            ItemTrainCounts = _itemTrainCounts.ToArray(),
            Report = new ReadReport
            {
                RowsRead = _rowsRead,
                TrainRows = _trainRows,
                EvalRows = _evalRows,
                RowsOutsideFraction = _outside,
                BadRows = _badRows + _unknownRows,
                BadRowMessages = _badMessages.ToList(),
                CatalogItems = _withCatalog ? itemKeys.Count : 0,
            },
        };
        return (header, new RemapTables(_schema, partitions, translations));
    }

    private void AddBadRows(ShardVocabulary shard)
    {
        _badRows += shard.BadRows;
        foreach (var m in shard.BadRowMessages)
            if (_badMessages.Count < 20) _badMessages.Add(m);
    }

    /// <summary>A shard's item keys and counts into the merged numbering (new keys are not in the corpus yet); local id → merged id.</summary>
    private int[] MergeKeys(LocalDictionary shardKeys)
    {
        var map = _keys.Merge(shardKeys);
        while (_corpusOfKey.Count < _keys.Count) _corpusOfKey.Add(-1);
        return map;
    }

    /// <param name="merged">the item's key in this merger's numbering (<see cref="MergeKeys"/>)</param>
    private bool TryAddItem(ShardVocabulary shard, int row, int merged)
    {
        if (_corpusOfKey[merged] >= 0) return false;
        _corpusOfKey[merged] = _corpusKeys.Count;
        _corpusKeys.Add(merged);
        _itemTrainCounts.Add(0);
        for (var f = 0; f < _itemColumns.Length; f++)
            if (f != _schema.ItemKeyIndex) _itemColumns[f].Add(shard.Items.Columns[f].Bag(row), shard.Dictionaries[_q + f]);
        return true;
    }

    /// <summary>One item feature over the corpus, in ids of its own dictionary (which also counts each value once per item).</summary>
    private sealed class CorpusColumn(FeatureSpec spec)
    {
        private readonly LocalDictionary _values = new();
        private readonly IntList _ids = new();
        private readonly IntList? _offsets = spec.IsMulti ? Started() : null;

        private static IntList Started()
        {
            var offsets = new IntList();
            offsets.Add(0);
            return offsets;
        }

        public void Add(ReadOnlySpan<int> bag, LocalDictionary shardValues)
        {
            foreach (var id in bag)
            {
                if (id == 0 && _offsets is not null) continue;
                var corpusId = id == 0 ? 0 : _values.IdOf(shardValues.Text(id));
                _values.AddCount(corpusId);
                _ids.Add(corpusId);
            }
            _offsets?.Add(_ids.Count);
        }

        /// <summary>The feature's values over the corpus, each counted once per item.</summary>
        public LocalDictionary Values => _values;

        public FeatureColumn Build(Vocabulary vocabulary)
        {
            var map = _values.GlobalIds(vocabulary);
            var ids = _ids.ToArray();
            for (var i = 0; i < ids.Length; i++) ids[i] = map[ids[i]];
            return _offsets is null ? new FeatureColumn(spec, ids) : new FeatureColumn(spec, _offsets.ToArray(), ids);
        }
    }
}
