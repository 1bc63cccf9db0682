using SslRec.Core.Schema;
using SslRec.Core.Util;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// One vocabulary partition's slice of the corpus: the items whose key hashes into the partition, in order of
/// first appearance (<see cref="VocabularyPartitioning"/>), with their key's partition-local id, their training
/// rows and their item features in ids of this partition's own dictionaries — which count each value once per
/// item, so the header step merges them into the item features' vocabularies without seeing an item again.
/// </summary>
public sealed class CorpusSlice
{
    /// <summary>Per item feature (schema order): its values over the slice's items with their counts; the key's is empty.</summary>
    public required LocalDictionary[] Values { get; init; }
    /// <summary>The items' keys: ids 1..<see cref="Count"/> in corpus order.</summary>
    public required InternedList Keys { get; init; }
    public required int Count { get; init; }
    /// <summary>Per item: its key's target in the partition's key slice, t &gt; 0 the local id, t &lt; 0 bucket −t − 1.</summary>
    public required int[] KeyTargets { get; init; }
    public required long[] TrainCounts { get; init; }
    /// <summary>Per item feature: the items' ids in <see cref="Values"/>; null for the key.</summary>
    public required int[]?[] Ids { get; init; }
    /// <summary>Per multi-valued item feature: where each item's values start in <see cref="Ids"/> (Count + 1); else null.</summary>
    public required int[]?[] Offsets { get; init; }
}

/// <summary>
/// Builds a <see cref="CorpusSlice"/> in a reduce partition: items arrive in first-appearance order with their
/// features as text (<see cref="ItemRecordReader"/>), each once.
/// </summary>
internal sealed class CorpusSliceBuilder
{
    private readonly DatasetSchema _schema;
    private readonly LocalDictionary[] _values;
    private readonly IntList?[] _ids;
    private readonly IntList?[] _offsets;
    private readonly IntList _keyIds = new();   // the item's key in the partition's key table
    private readonly List<long> _trainCounts = [];
    private readonly Utf8Chars _chars = new();

    public CorpusSliceBuilder(DatasetSchema schema)
    {
        _schema = schema;
        _values = schema.Item.Select(_ => new LocalDictionary()).ToArray();
        _ids = schema.Item.Select((_, f) => f == schema.ItemKeyIndex ? null : new IntList()).ToArray();
        _offsets = schema.Item.Select((spec, f) => f == schema.ItemKeyIndex || !spec.IsMulti ? null : IntList.Offsets()).ToArray();
    }

    public int Count => _keyIds.Count;

    /// <summary>Adds an item (its key's id in the partition's key table, its record with features); returns its index in the slice.</summary>
    public int Add(int keyTableId, ReadOnlySpan<byte> record)
    {
        var reader = new ItemRecordReader(record);
        if (!reader.HasFeatures) throw new InvalidDataException("an item's entry carries no features");
        for (var f = 0; f < _values.Length; f++)
        {
            if (f == _schema.ItemKeyIndex) continue;
            var multi = _offsets[f] is not null;
            var n = reader.NextBag();
            for (var i = 0; i < n; i++)
            {
                var utf8 = reader.NextValue();
                if (utf8.IsEmpty && multi) continue;
                var id = utf8.IsEmpty ? 0 : _values[f].IdOf(_chars.Decode(utf8));
                _values[f].AddCount(id);
                _ids[f]!.Add(id);
            }
            _offsets[f]?.Add(_ids[f]!.Count);
        }
        _keyIds.Add(keyTableId);
        _trainCounts.Add(0);
        return _keyIds.Count - 1;
    }

    public void AddTrainRows(int item, long rows) => _trainCounts[item] += rows;

    /// <param name="keyTable">the partition's key table (texts)</param>
    /// <param name="keyTarget">key table id → its target in the partition's key slice</param>
    public CorpusSlice Build(InternTable keyTable, int[] keyTarget)
    {
        var keys = new InternTable();
        var targets = new int[Count];
        var ids = _keyIds.AsSpan();
        for (var i = 0; i < ids.Length; i++)
        {
            keys.IdOf(keyTable[ids[i]]);
            targets[i] = keyTarget[ids[i]];
        }
        return new CorpusSlice
        {
            Values = _values, Keys = new InternedList(keys, Count), Count = Count, KeyTargets = targets, TrainCounts = _trainCounts.ToArray(),
            Ids = _ids.Select(l => l?.ToArray()).ToArray(), Offsets = _offsets.Select(l => l?.ToArray()).ToArray(),
        };
    }
}
