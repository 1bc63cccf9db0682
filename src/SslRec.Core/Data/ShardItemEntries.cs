using System.Buffers.Binary;
using System.Text;
using SslRec.Core.Schema;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// One shard's item side for the partitioned reduce, entry for entry beside its item key's
/// <see cref="HashedDictionary"/> (the same hash order): per item key its held-out rows, the row that names it
/// first (for messages) and, where the shard carries the item's features (a catalog, or an interaction shard
/// of a dataset without one), those features as text — so a partition builds its slice of the corpus from its
/// hash range alone. Each entry is one self-contained record (<see cref="Record"/>); the shard's items blob
/// (<see cref="PartitionFormat.WriteItemEntries"/>) stores them behind a byte offset per hash prefix, like the keys.
/// </summary>
public sealed class ShardItemEntries
{
    /// <summary>The file (and range) the shard came from, for messages.</summary>
    public required string Source { get; init; }
    /// <summary>Record i: Records[RecordStart[i] .. RecordStart[i + 1]).</summary>
    public required byte[] Records { get; init; }
    public required int[] RecordStart { get; init; }
    /// <summary>Entry index where each prefix starts (the item keys' own, <see cref="HashedDictionary.PrefixStart"/>, whose
    /// <see cref="HashedDictionary.Range"/> gives a partition's entries of both); null for a parsed range.</summary>
    public int[]? PrefixStart { get; init; }

    public int Count => RecordStart.Length - 1;

    public ReadOnlySpan<byte> Record(int entry) => Records.AsSpan(RecordStart[entry], RecordStart[entry + 1] - RecordStart[entry]);

    /// <summary>
    /// The records of a shard, in the order of its item key's hashed dictionary. A record: held-out rows (int32),
    /// first row (int64), whether features follow (byte), then per item feature other than the key its values
    /// (int32 count, then each as int32 UTF-8 length and bytes; a missing single value is the empty text).
    /// </summary>
    public static ShardItemEntries Build(ShardVocabulary shard, HashedDictionary keys, DatasetSchema schema)
    {
        var q = schema.Query.Count;
        var keyIndex = schema.ItemKeyIndex;
        var starts = new int[keys.Count + 1];
        // the item row of each local key id (every catalog row; the first row of each key without a catalog), by the rows' key column
        var keyCount = shard.Dictionaries[q + keyIndex].Count;
        var rowOf = new int[keyCount];
        Array.Fill(rowOf, -1);
        if (shard.Items.RowCount > 0)
        {
            var keyIds = shard.Items.Columns[keyIndex].Ids!;
            for (var r = 0; r < shard.Items.RowCount; r++) rowOf[keyIds[r]] = r;
        }
        int RowOf(int local) => local < keyCount ? rowOf[local] : -1;

        // two passes, sizes then bytes, so the records are one array of exactly their size
        for (var e = 0; e < keys.Count; e++)
        {
            var size = 13;
            if (RowOf(keys.LocalIds[e]) is var row and >= 0)
                for (var f = 0; f < schema.Item.Count; f++)
                {
                    if (f == keyIndex) continue;
                    size += 4;
                    foreach (var id in shard.Items.Columns[f].Bag(row))
                        size += 4 + (id == 0 ? 0 : Encoding.UTF8.GetByteCount(shard.Dictionaries[q + f].Text(id)));
                }
            starts[e + 1] = checked(starts[e] + size);
        }
        var records = new byte[starts[^1]];
        for (var e = 0; e < keys.Count; e++)
        {
            var local = keys.LocalIds[e];
            var at = records.AsSpan(starts[e]);
            BinaryPrimitives.WriteInt32LittleEndian(at, shard.EvalRowsOfKey.Length > local ? shard.EvalRowsOfKey[local] : 0);
            BinaryPrimitives.WriteInt64LittleEndian(at[4..], shard.FirstRowOfKey.Length > local ? shard.FirstRowOfKey[local] : 0);
            var row = RowOf(local);
            at[12] = row >= 0 ? (byte)1 : (byte)0;
            at = at[13..];
            if (row < 0) continue;
            for (var f = 0; f < schema.Item.Count; f++)
            {
                if (f == keyIndex) continue;
                var bag = shard.Items.Columns[f].Bag(row);
                BinaryPrimitives.WriteInt32LittleEndian(at, bag.Length);
                at = at[4..];
                foreach (var id in bag)
                {
                    var n = id == 0 ? 0 : Encoding.UTF8.GetBytes(shard.Dictionaries[q + f].Text(id), at[4..]);
                    BinaryPrimitives.WriteInt32LittleEndian(at, n);
                    at = at[(4 + n)..];
                }
            }
        }
        return new ShardItemEntries { Source = shard.Source, Records = records, RecordStart = starts, PrefixStart = keys.PrefixStart };
    }
}

/// <summary>Reads one <see cref="ShardItemEntries"/> record.</summary>
public ref struct ItemRecordReader
{
    private ReadOnlySpan<byte> _rest;

    public ItemRecordReader(ReadOnlySpan<byte> record)
    {
        EvalRows = BinaryPrimitives.ReadInt32LittleEndian(record);
        FirstRow = BinaryPrimitives.ReadInt64LittleEndian(record[4..]);
        HasFeatures = record[12] != 0;
        _rest = record[13..];
    }

    public int EvalRows { get; }
    public long FirstRow { get; }
    public bool HasFeatures { get; }

    /// <summary>The number of values of the next feature (call <see cref="NextValue"/> that many times).</summary>
    public int NextBag()
    {
        var n = BinaryPrimitives.ReadInt32LittleEndian(_rest);
        _rest = _rest[4..];
        return n;
    }

    /// <summary>The next value's UTF-8 bytes (empty: missing).</summary>
    public ReadOnlySpan<byte> NextValue()
    {
        var n = BinaryPrimitives.ReadInt32LittleEndian(_rest);
        var value = _rest.Slice(4, n);
        _rest = _rest[(4 + n)..];
        return value;
    }
}
