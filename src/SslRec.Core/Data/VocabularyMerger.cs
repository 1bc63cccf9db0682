using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Core.Util;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// The header step of the vocabulary reduce: everything that is not hash-partitioned, and the assembly of the
/// partitions' results. The user ids, the item key (with the corpus) and the query features tied to it are
/// reduced by the partitions (<see cref="VocabularyPartitionMerger"/>); this merger takes, in order:
/// <list type="number">
/// <item>each map shard's small remainder (<see cref="ShardVocabulary"/> without the hashed features and item
/// rows, catalog shards first): row totals, bad rows, the values of query features tied to an item feature other
/// than the key (each shard's local ids mapped to merged ids, <see cref="ShardItemMaps"/>) and, from the
/// partitions, the shard's rows of items outside the catalog (bad rows, checked against the allowance in shard
/// order as each shard is added);</item>
/// <item>each partition's item-feature dictionaries (<see cref="AddItemValues"/>; counts over its items), merged
/// into the item features' vocabularies (<see cref="BuildVocabularies"/>);</item>
/// <item>each partition's corpus slice (<see cref="AddCorpus"/>), in partition order: the corpus is their
/// concatenation, its ids translated to the global vocabularies.</item>
/// </list>
/// <see cref="Finish"/> gives the dataset header and the remaps' tables. Memory: the item features' values, the
/// assembled corpus (int columns, its keys interned) — no item key dictionary, no shard's item rows.
/// </summary>
public sealed class VocabularyMerger
{
    private readonly DatasetSchema _schema;
    private readonly long _maxBadRows;
    private readonly bool _withCatalog;
    private readonly int _q, _keySlot;
    private readonly LocalDictionary?[] _tiedValues;   // per query slot tied to a non-key item feature: merged ids, training occurrences
    private readonly LocalDictionary[] _itemValues;     // per item feature (the key's unused): values over the corpus, each item once
    private readonly List<int[][]> _valueMaps = [];     // [partition][item feature]: partition-local id → merged id
    private readonly List<string> _badMessages = [];
    private long _rowsRead, _outside, _badRows, _unknownRows;
    // assembled corpus
    private Vocabulary[]? _vocabularies;
    private VocabularyPartitions? _layout;
    private int[][]? _globalOfMerged;                   // per item feature: merged id → global id
    private readonly IntList _keyColumn = new();
    private readonly InternTable _keys = new();
    private readonly List<long> _itemTrainCounts = [];
    private readonly IntList[] _ids;
    private readonly IntList?[] _offsets;
    private readonly List<int> _corpusOffsets = [0];

    /// <param name="withCatalog">whether the dataset has a catalog (its size is reported)</param>
    public VocabularyMerger(DatasetSchema schema, long maxBadRows, bool withCatalog)
    {
        _schema = schema;
        _maxBadRows = maxBadRows;
        _withCatalog = withCatalog;
        _q = schema.Query.Count;
        _keySlot = VocabularyPartitioning.KeySlot(schema);
        _tiedValues = Enumerable.Range(0, _q).Select(f => schema.TableOwner(f) is var o && o != f && o != _keySlot ? new LocalDictionary() : null).ToArray();
        _itemValues = schema.Item.Select(_ => new LocalDictionary()).ToArray();
        _ids = schema.Item.Select(_ => new IntList()).ToArray();
        _offsets = schema.Item.Select(f => f.IsMulti ? IntList.Offsets() : null).ToArray();
    }

    public void AddCatalog(ShardVocabulary shard) => AddBadRows(shard);

    /// <param name="unknown">the shard's rows of items outside the corpus, from every partition (none without a catalog)</param>
    /// <returns>the shard's tied values in this merger's numbering (what its remap needs besides the partitions' maps)</returns>
    public ShardItemMaps AddInteractions(ShardVocabulary shard, IReadOnlyList<UnknownItems> unknown)
    {
        AddBadRows(shard);
        _rowsRead += shard.RowsRead;
        _outside += shard.RowsOutsideFraction;
        var tied = new int[]?[_q];
        for (var f = 0; f < _q; f++)
            if (_tiedValues[f] is { } values) tied[f] = values.Merge(shard.Dictionaries[f]);
        var maps = new ShardItemMaps(tied);

        // Rows whose item is not in the corpus (not in the catalog) are bad rows; the first is the lowest local id.
        var rows = unknown.Sum(u => u.Rows);
        if (rows == 0) return maps;
        var first = unknown.MinBy(u => u.LocalId)!;
        var what = $"item '{first.Item}' is not in the catalog";
        if (_badRows + _unknownRows + rows > _maxBadRows)
            throw new DataFormatException(shard.Source, first.Row, _schema.ItemKey.Name, what + (rows > 1 ? $" ({rows} rows of this file name unknown items)" : ""));
        _unknownRows += rows;
        if (_badMessages.Count < 20)
            _badMessages.Add(new DataFormatException(shard.Source, first.Row, _schema.ItemKey.Name, what).Message);
        return maps;
    }

    /// <summary>Partition k's item-feature dictionaries (<see cref="CorpusSlice.Values"/>), in partition order, after every shard.</summary>
    public void AddItemValues(int partition, IReadOnlyList<LocalDictionary> values)
    {
        if (partition != _valueMaps.Count) throw new InvalidOperationException($"item values of partition {partition} added after {_valueMaps.Count} partitions");
        if (values.Count != _itemValues.Length) throw new InvalidDataException($"{values.Count} item features' values, the schema has {_itemValues.Length}");
        _valueMaps.Add(values.Select((v, f) => f == _schema.ItemKeyIndex ? [] : _itemValues[f].Merge(v)).ToArray());
    }

    /// <summary>The global vocabularies (after every shard and every partition's item values).</summary>
    /// <param name="partitioned">the vocabulary of each partitioned feature (by schema slot), from the partitions</param>
    /// <param name="layout">where each partition's ids start</param>
    public void BuildVocabularies(IReadOnlyDictionary<int, Vocabulary> partitioned, VocabularyPartitions layout)
    {
        var expected = VocabularyPartitioning.PartitionedFeatures(_schema);
        if (!expected.Order().SequenceEqual(partitioned.Keys.Order()))
            throw new ArgumentException($"the partitioned features' vocabularies are needed: {string.Join(", ", expected.Select(f => _schema.All[f].Name))}");
        if (_valueMaps.Count != layout.Count) throw new InvalidOperationException($"item values of {_valueMaps.Count} partitions, the layout has {layout.Count}");
        if (_badRows + _unknownRows > _maxBadRows)
            throw new InvalidDataException($"{_badRows + _unknownRows} bad rows exceed the allowance of {_maxBadRows}; first: {_badMessages.FirstOrDefault()}");

        // A query feature tied to an item feature gets one vocabulary over the union of their values (counts
        // added) with the item feature's settings; both slots hold the same object. (Added in place: every
        // partition's values are in, and the new ids are past every partition's map.)
        for (var f = 0; f < _q; f++)
            if (_tiedValues[f] is { } tied) _itemValues[_schema.TableOwner(f) - _q].Merge(tied);
        var vocabularies = new Vocabulary[_schema.All.Count];
        for (var i = _q; i < _schema.All.Count; i++)
            vocabularies[i] = i == _keySlot ? partitioned[i] : Vocabulary.Build(_schema.All[i].Name, _itemValues[i - _q], _schema.All[i].MinCount, _schema.All[i].OovBuckets);
        for (var f = 0; f < _q; f++)
            vocabularies[f] = _schema.TableOwner(f) is var owner && owner != f ? vocabularies[owner] : partitioned[f];
        _globalOfMerged = _itemValues.Select((v, f) => f == _schema.ItemKeyIndex ? [] : v.GlobalIds(vocabularies[_q + f])).ToArray();
        _vocabularies = vocabularies;
        _layout = layout;
    }

    /// <summary>Partition k's corpus slice, in partition order (after <see cref="BuildVocabularies"/>): its items join the corpus in global ids.</summary>
    public void AddCorpus(int partition, CorpusSlice slice)
    {
        var layout = _layout ?? throw new InvalidOperationException("the vocabularies are not built yet");
        if (partition != _corpusOffsets.Count - 1) throw new InvalidOperationException($"corpus slice {partition} added after {_corpusOffsets.Count - 1} slices");
        var keyPosition = Array.IndexOf(layout.Features, _keySlot);
        int offset = layout.Offsets[keyPosition][partition], kept = layout.Kept(keyPosition);
        for (var i = 0; i < slice.Count; i++)
        {
            var t = slice.KeyTargets[i];
            _keyColumn.Add(t > 0 ? offset + t : 1 + kept + (-t - 1));
            if (_keys.IdOf(slice.Keys.Text(i)) != _keys.Count - 1) throw new InvalidDataException($"item '{slice.Keys.Text(i)}' is in two corpus slices");
            _itemTrainCounts.Add(slice.TrainCounts[i]);
        }
        for (var f = 0; f < _ids.Length; f++)
        {
            if (f == _schema.ItemKeyIndex) continue;
            var local = _valueMaps[partition][f];
            var global = _globalOfMerged![f];
            var start = _ids[f].Count;
            foreach (var id in slice.Ids[f]!) _ids[f].Add(global[local[id]]);
            if (_offsets[f] is { } offsets)
                foreach (var o in slice.Offsets[f]!.AsSpan(1)) offsets.Add(start + o);
        }
        _corpusOffsets.Add(checked(_corpusOffsets[^1] + slice.Count));
    }

    /// <summary>The dataset header and the remaps' tables (after every corpus slice).</summary>
    /// <param name="trainRows">training rows of known items, summed over the partitions</param>
    /// <param name="evalRows">held-out rows of known items, summed over the partitions</param>
    public (DatasetHeader Header, RemapTables Remap) Finish(long trainRows, long evalRows)
    {
        var layout = _layout ?? throw new InvalidOperationException("the vocabularies are not built yet");
        if (_corpusOffsets.Count - 1 != layout.Count) throw new InvalidOperationException($"{_corpusOffsets.Count - 1} corpus slices of {layout.Count}");
        var vocabularies = _vocabularies!;
        var size = _keyColumn.Count;
        var items = _schema.Item.Select((spec, f) => f == _schema.ItemKeyIndex ? new FeatureColumn(spec, _keyColumn.ToArray())
            : _offsets[f] is { } offsets ? new FeatureColumn(spec, offsets.ToArray(), _ids[f].ToArray()) : new FeatureColumn(spec, _ids[f].ToArray())).ToList();
        var itemKeys = new InternedList(_keys, size);
        var translations = _tiedValues.Select((values, f) => values?.GlobalIds(vocabularies[f])).ToArray();
        var header = new DatasetHeader
        {
            Schema = _schema,
            Vocabularies = vocabularies,
            Partitions = layout,
            Items = new EncodedTable(items, size),
            ItemKeys = itemKeys,
            ItemTrainCounts = _itemTrainCounts.ToArray(),
            Report = new ReadReport
            {
                RowsRead = _rowsRead,
                TrainRows = trainRows,
                EvalRows = evalRows,
                RowsOutsideFraction = _outside,
                BadRows = _badRows + _unknownRows,
                BadRowMessages = _badMessages.ToList(),
                CatalogItems = _withCatalog ? size : 0,
            },
        };
        return (header, new RemapTables(_schema, layout, [.. _corpusOffsets], translations));
    }

    private void AddBadRows(ShardVocabulary shard)
    {
        _badRows += shard.BadRows;
        foreach (var m in shard.BadRowMessages)
            if (_badMessages.Count < 20) _badMessages.Add(m);
    }
}
