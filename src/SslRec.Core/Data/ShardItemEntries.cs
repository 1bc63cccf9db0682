using System.Buffers;
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
    /// <summary>Entry index where each prefix starts, as <see cref="HashedDictionary.PrefixStart"/>; null for a parsed range.</summary>
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
        var writer = new ArrayBufferWriter<byte>(Math.Max(256, keys.Count * 16));
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
        for (var e = 0; e < keys.Count; e++)
        {
            var local = keys.LocalIds[e];
            WriteInt(writer, shard.EvalRowsOfKey.Length > local ? shard.EvalRowsOfKey[local] : 0);
            WriteLong(writer, shard.FirstRowOfKey.Length > local ? shard.FirstRowOfKey[local] : 0);
            var row = local < keyCount ? rowOf[local] : -1;
            writer.GetSpan(1)[0] = row >= 0 ? (byte)1 : (byte)0;
            writer.Advance(1);
            if (row >= 0)
                for (var f = 0; f < schema.Item.Count; f++)
                {
                    if (f == keyIndex) continue;
                    var bag = shard.Items.Columns[f].Bag(row);
                    var values = shard.Dictionaries[q + f];
                    WriteInt(writer, bag.Length);
                    foreach (var id in bag) WriteText(writer, id == 0 ? [] : values.Text(id));
                }
            starts[e + 1] = writer.WrittenCount;
        }
        return new ShardItemEntries { Source = shard.Source, Records = writer.WrittenSpan.ToArray(), RecordStart = starts, PrefixStart = keys.PrefixStart };
    }

    /// <summary>The entries [start, end) of partition k of P.</summary>
    public (int Start, int End) Range(int partition, int partitions)
    {
        var (first, end) = VocabularyPartitioning.Prefixes(partition, partitions);
        var starts = PrefixStart ?? throw new InvalidOperationException("a parsed range has no prefix index");
        return (starts[first], starts[end]);
    }

    private static void WriteInt(ArrayBufferWriter<byte> w, int v)
    {
        BinaryPrimitives.WriteInt32LittleEndian(w.GetSpan(4), v);
        w.Advance(4);
    }

    private static void WriteLong(ArrayBufferWriter<byte> w, long v)
    {
        BinaryPrimitives.WriteInt64LittleEndian(w.GetSpan(8), v);
        w.Advance(8);
    }

    private static void WriteText(ArrayBufferWriter<byte> w, ReadOnlySpan<char> text)
    {
        var span = w.GetSpan(4 + Encoding.UTF8.GetMaxByteCount(text.Length));
        var n = Encoding.UTF8.GetBytes(text, span[4..]);
        BinaryPrimitives.WriteInt32LittleEndian(span, n);
        w.Advance(4 + n);
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
