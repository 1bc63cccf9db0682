using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using SslRec.Core.Schema;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// The binary files of the partitioned vocabulary reduce, made for byte-range reads (little-endian, each
/// with a magic and a version like <see cref="BinaryFormat"/>):
/// <list type="bullet">
/// <item>a shard's keys (map stage): per partitioned feature its <see cref="HashedDictionary"/>, preceded by a
/// table of absolute byte offsets, one per hash prefix, so partition k of any P reads one range per feature;</item>
/// <item>a shard's item entries (map stage): <see cref="ShardItemEntries"/> beside its item keys' entries, behind the
/// same kind of offset table, then the shard's source;</item>
/// <item>a shard's sketches (map stage): one <see cref="HyperLogLog"/> per partitioned feature;</item>
/// <item>a partition's slice (reduce partition): each feature's kept values in id order with their counts;</item>
/// <item>a partition's corpus slice (reduce partition): <see cref="CorpusSlice"/>, its item-feature dictionaries first;</item>
/// <item>a partition's id maps (reduce partition): per shard and feature a <see cref="ShardIdMap"/>, behind a table
/// of byte offsets by shard, so a remap reads its own shard's maps only;</item>
/// <item>a shard's item maps (header step): <see cref="ShardItemMaps"/>, the query features tied to an item
/// feature other than the key → merged ids;</item>
/// <item>the run's remap tables (header step): <see cref="RemapTables"/>, the schema, the partition layout, where
/// each partition's items start in the corpus and the tied features' merged id → global id.</item>
/// </list>
/// </summary>
public static class PartitionFormat
{
    private const int Version = 2; // 2: the item key partitioned (item entries, corpus slices)
    private static readonly byte[] KeysMagic = "SSLRSKEY"u8.ToArray();
    private static readonly byte[] SketchMagic = "SSLRSKCH"u8.ToArray();
    private static readonly byte[] SliceMagic = "SSLRVSLC"u8.ToArray();
    private static readonly byte[] MapsMagic = "SSLRVMAP"u8.ToArray();
    private static readonly byte[] ItemMapsMagic = "SSLRIMAP"u8.ToArray();
    private static readonly byte[] RemapTablesMagic = "SSLRRTAB"u8.ToArray();
    private static readonly byte[] ItemsMagic = "SSLRSITM"u8.ToArray();
    private static readonly byte[] CorpusMagic = "SSLRCORP"u8.ToArray();
    private const int Prefixes = VocabularyPartitioning.MaxPartitions;
    private const int EntryFixedBytes = 8 + 4 + 8 + 4; // hash, local id, count, text length

    // ---- a shard's keys ----

    /// <summary>Bytes of the keys file's start: magic, version, feature count and the offset tables.</summary>
    public static int KeysIndexBytes(int features) => 8 + 4 + 4 + 8 * features * (Prefixes + 1);

    public static void WriteKeys(Stream stream, IReadOnlyList<HashedDictionary> features) => WriteKeys(stream, features.Count, f => features[f]);

    /// <summary>
    /// Writes the keys file one feature at a time: <paramref name="build"/> makes feature f's dictionary when its
    /// entries are due, and it can be dropped once they are written — the map stage never holds two (a shard's
    /// user ids and item keys ordered by hash are its largest arrays). The offset tables come first in the file,
    /// so each is written into its place once its feature's entries are known (the stream must be seekable).
    /// </summary>
    public static void WriteKeys(Stream stream, int features, Func<int, HashedDictionary> build)
    {
        if (!stream.CanSeek) throw new ArgumentException("the keys file is written to a seekable stream", nameof(stream));
        using var w = Writer(stream, KeysMagic);
        w.Write(features);
        var tables = w.Seek(0, SeekOrigin.Current);
        w.Write(new byte[8 * features * (Prefixes + 1)]);
        long at = KeysIndexBytes(features);
        var table = new long[Prefixes + 1];
        for (var f = 0; f < features; f++)
        {
            var d = build(f);
            // byte offset of each prefix's first entry: entries before it, and their text
            for (var p = 0; p <= Prefixes; p++)
            {
                var e = d.PrefixStart![p];
                table[p] = at + (long)e * EntryFixedBytes + d.TextStart[e];
            }
            for (var i = 0; i < d.Count; i++)
            {
                w.Write(d.Hashes[i]);
                w.Write(d.LocalIds[i]);
                w.Write(d.Counts[i]);
                var text = d.Utf8(i);
                w.Write(text.Length);
                w.Write(text);
            }
            at += (long)d.Count * EntryFixedBytes + d.TextStart[d.Count];
            w.Seek((int)(tables + 8L * f * (Prefixes + 1)), SeekOrigin.Begin);
            foreach (var o in table) w.Write(o);
            w.Seek(0, SeekOrigin.End);
        }
    }

    /// <summary>The byte range [Start, End) of partition k of P of each feature, from the keys file's first <see cref="KeysIndexBytes"/> bytes.</summary>
    public static (long Start, long End)[] KeyRanges(ReadOnlySpan<byte> index, int features, int partition, int partitions)
    {
        Check(index, KeysMagic);
        var n = BinaryPrimitives.ReadInt32LittleEndian(index[12..]);
        if (n != features) throw new InvalidDataException($"a shard's keys hold {n} partitioned features, the schema {features}");
        var (first, end) = VocabularyPartitioning.Prefixes(partition, partitions);
        var ranges = new (long, long)[features];
        for (var f = 0; f < features; f++)
        {
            var table = index[(16 + 8 * f * (Prefixes + 1))..];
            ranges[f] = (BinaryPrimitives.ReadInt64LittleEndian(table[(8 * first)..]), BinaryPrimitives.ReadInt64LittleEndian(table[(8 * end)..]));
        }
        return ranges;
    }

    /// <summary>The entries of one byte range of a keys file (a partition's part of one feature).</summary>
    public static HashedDictionary ParseEntries(ReadOnlySpan<byte> bytes)
    {
        var hashes = new List<ulong>();
        var locals = new List<int>();
        var counts = new List<long>();
        var textStart = new List<int> { 0 };
        var text = new MemoryStream();
        while (!bytes.IsEmpty)
        {
            hashes.Add(BinaryPrimitives.ReadUInt64LittleEndian(bytes));
            locals.Add(BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]));
            counts.Add(BinaryPrimitives.ReadInt64LittleEndian(bytes[12..]));
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes[20..]);
            text.Write(bytes.Slice(EntryFixedBytes, length));
            textStart.Add((int)text.Length);
            bytes = bytes[(EntryFixedBytes + length)..];
        }
        return new HashedDictionary { Hashes = hashes.ToArray(), LocalIds = locals.ToArray(), Counts = counts.ToArray(), Text = text.ToArray(), TextStart = textStart.ToArray() };
    }

    // ---- a shard's item entries ----

    /// <summary>Bytes of the items file's start: magic, version, the source's byte length and the offset table (the source follows).</summary>
    public const int ItemsIndexBytes = 8 + 4 + 4 + 8 * (Prefixes + 1);

    public static void WriteItemEntries(Stream stream, ShardItemEntries items)
    {
        using var w = Writer(stream, ItemsMagic);
        var source = Encoding.UTF8.GetBytes(items.Source);
        w.Write(source.Length);
        long at = ItemsIndexBytes + source.Length;
        for (var p = 0; p <= Prefixes; p++) w.Write(at + items.RecordStart[items.PrefixStart![p]]);
        w.Write(source);
        w.Write(items.Records, 0, items.RecordStart[^1]);
    }

    /// <summary>From the items file's first <see cref="ItemsIndexBytes"/>: the byte range of partition k of P, and of the source.</summary>
    public static ((long Start, long End) Entries, (long Start, long End) Source) ItemRanges(ReadOnlySpan<byte> index, int partition, int partitions)
    {
        Check(index, ItemsMagic);
        var sourceLength = BinaryPrimitives.ReadInt32LittleEndian(index[12..]);
        var (first, end) = VocabularyPartitioning.Prefixes(partition, partitions);
        var table = index[16..];
        return ((BinaryPrimitives.ReadInt64LittleEndian(table[(8 * first)..]), BinaryPrimitives.ReadInt64LittleEndian(table[(8 * end)..])),
            (ItemsIndexBytes, ItemsIndexBytes + sourceLength));
    }

    /// <summary>The records of one byte range of an items file; the record boundaries are found from their contents.</summary>
    public static ShardItemEntries ParseItemEntries(ReadOnlySpan<byte> bytes, string source, int itemFeatures)
    {
        var starts = new List<int> { 0 };
        var at = 0;
        while (at < bytes.Length)
        {
            at += 13;
            if (bytes[at - 1] != 0)
                for (var f = 0; f < itemFeatures; f++)
                {
                    var n = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
                    at += 4;
                    for (var i = 0; i < n; i++) at += 4 + BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
                }
            starts.Add(at);
        }
        if (at != bytes.Length) throw new InvalidDataException("an item entries range ends inside a record");
        return new ShardItemEntries { Source = source, Records = bytes.ToArray(), RecordStart = [.. starts] };
    }

    // ---- a partition's corpus slice ----

    public static void WriteCorpusSlice(Stream stream, CorpusSlice slice)
    {
        using var w = Writer(stream, CorpusMagic);
        w.Write(slice.Values.Length);
        foreach (var d in slice.Values) BinaryFormat.WriteDictionary(w, d);
        w.Write(slice.Count);
        for (var i = 0; i < slice.Count; i++) w.Write(slice.Keys[i]);
        BinaryFormat.WriteInts(w, slice.KeyTargets);
        BinaryFormat.WriteLongs(w, slice.TrainCounts);
        for (var f = 0; f < slice.Values.Length; f++) WriteOptionalInts(w, [slice.Ids[f], slice.Offsets[f]]);
    }

    /// <summary>A corpus slice's item-feature dictionaries only (the header step's first pass).</summary>
    public static LocalDictionary[] ReadCorpusValues(Stream stream, DatasetSchema schema)
    {
        using var r = Reader(stream, CorpusMagic);
        return ReadValues(r, schema);
    }

    public static CorpusSlice ReadCorpusSlice(Stream stream, DatasetSchema schema)
    {
        using var r = Reader(stream, CorpusMagic);
        var values = ReadValues(r, schema);
        var keys = BinaryFormat.ReadInterned(r, "a corpus slice's item keys");
        var targets = BinaryFormat.ReadInts(r);
        var counts = BinaryFormat.ReadLongs(r);
        var ids = new int[]?[values.Length];
        var offsets = new int[]?[values.Length];
        for (var f = 0; f < values.Length; f++)
        {
            var pair = ReadOptionalInts(r, 2, "a corpus slice's column");
            (ids[f], offsets[f]) = (pair[0], pair[1]);
        }
        if (targets.Length != keys.Count || counts.Length != keys.Count) throw new InvalidDataException($"a corpus slice of {keys.Count} items has {targets.Length} key ids and {counts.Length} counts");
        return new CorpusSlice { Values = values, Keys = keys, Count = keys.Count, KeyTargets = targets, TrainCounts = counts, Ids = ids, Offsets = offsets };
    }

    private static LocalDictionary[] ReadValues(BinaryReader r, DatasetSchema schema)
    {
        var n = r.ReadInt32();
        if (n != schema.Item.Count) throw new InvalidDataException($"a corpus slice holds {n} item features, the schema {schema.Item.Count}");
        return Enumerable.Range(0, n).Select(_ => BinaryFormat.ReadDictionary(r)).ToArray();
    }

    // ---- a shard's sketches ----

    public static void WriteSketches(Stream stream, IReadOnlyList<HyperLogLog> sketches)
    {
        using var w = Writer(stream, SketchMagic);
        w.Write(sketches.Count);
        foreach (var s in sketches) w.Write(s.Registers);
    }

    public static HyperLogLog[] ReadSketches(Stream stream)
    {
        using var r = Reader(stream, SketchMagic);
        var n = r.ReadInt32();
        return Enumerable.Range(0, n).Select(_ => new HyperLogLog(r.ReadBytes(HyperLogLog.RegisterCount))).ToArray();
    }

    // ---- a partition's slice ----

    public static void WriteSlice(Stream stream, IReadOnlyList<PartitionSlice> slices)
    {
        using var w = Writer(stream, SliceMagic);
        w.Write(slices.Count);
        var buffer = new byte[256];
        foreach (var s in slices)
        {
            w.Write(s.Feature);
            w.Write(s.Kept);
            w.Write(s.OovCount);
            for (var i = 0; i < s.Kept; i++)
            {
                var text = s.Text(i);
                var max = Encoding.UTF8.GetMaxByteCount(text.Length);
                if (max > buffer.Length) buffer = new byte[max];
                var n = Encoding.UTF8.GetBytes(text, buffer);
                w.Write(n);
                w.Write(buffer, 0, n);
                w.Write(s.Count(i));
            }
        }
    }

    /// <summary>Streams a slice's values into the builders of its features (in order): no list of strings is made.</summary>
    public static void ReadSlice(Stream stream, IReadOnlyList<Vocabulary.Builder> builders)
    {
        using var r = Reader(stream, SliceMagic);
        var n = r.ReadInt32();
        if (n != builders.Count) throw new InvalidDataException($"a vocabulary slice holds {n} features, expected {builders.Count}");
        var bytes = new byte[256];
        var chars = new char[256];
        foreach (var b in builders)
        {
            r.ReadString(); // the feature's name, for whoever reads the file by hand
            var kept = r.ReadInt32();
            b.AddOov(r.ReadInt64());
            for (var i = 0; i < kept; i++)
            {
                var length = r.ReadInt32();
                if (length > bytes.Length) { bytes = new byte[length]; chars = new char[length]; }
                r.BaseStream.ReadExactly(bytes, 0, length);
                var c = Encoding.UTF8.GetChars(bytes, 0, length, chars, 0);
                b.Add(chars.AsSpan(0, c), r.ReadInt64());
            }
        }
    }

    // ---- a partition's id maps ----

    /// <summary>Bytes of the maps file's start (magic, version, shard and feature counts, offsets).</summary>
    public static int MapsIndexBytes(int shards, int features) => 8 + 4 + 4 + 4 + 8 * (shards * features + 1);

    public static void WriteMaps(Stream stream, ShardIdMap[][] maps, int features)
    {
        using var w = Writer(stream, MapsMagic);
        w.Write(maps.Length);
        w.Write(features);
        long at = MapsIndexBytes(maps.Length, features);
        foreach (var shard in maps)
            foreach (var m in shard)
            {
                w.Write(at);
                at += 4 + 8L * m.LocalIds.Length;
            }
        w.Write(at);
        foreach (var shard in maps)
            foreach (var m in shard)
            {
                w.Write(m.LocalIds.Length);
                w.Write(MemoryMarshal.AsBytes(m.LocalIds.AsSpan()));
                w.Write(MemoryMarshal.AsBytes(m.Targets.AsSpan()));
            }
    }

    /// <summary>The byte range of one shard's maps, from the maps file's first <see cref="MapsIndexBytes"/> bytes.</summary>
    public static (long Start, long End) MapRange(ReadOnlySpan<byte> index, int shards, int features, int shard)
    {
        Check(index, MapsMagic);
        var s = BinaryPrimitives.ReadInt32LittleEndian(index[12..]);
        var f = BinaryPrimitives.ReadInt32LittleEndian(index[16..]);
        if (s != shards || f != features) throw new InvalidDataException($"id maps for {s} shards × {f} features, expected {shards} × {features}");
        var table = index[20..];
        return (BinaryPrimitives.ReadInt64LittleEndian(table[(8 * shard * features)..]), BinaryPrimitives.ReadInt64LittleEndian(table[(8 * (shard + 1) * features)..]));
    }

    /// <summary>One shard's maps (one per feature) from its byte range.</summary>
    public static ShardIdMap[] ParseMaps(ReadOnlySpan<byte> bytes, int features)
    {
        var maps = new ShardIdMap[features];
        for (var f = 0; f < features; f++)
        {
            var n = BinaryPrimitives.ReadInt32LittleEndian(bytes);
            var locals = MemoryMarshal.Cast<byte, int>(bytes.Slice(4, 4 * n)).ToArray();
            var targets = MemoryMarshal.Cast<byte, int>(bytes.Slice(4 + 4 * n, 4 * n)).ToArray();
            maps[f] = new ShardIdMap(locals, targets);
            bytes = bytes[(4 + 8 * n)..];
        }
        return maps;
    }

    // ---- a shard's item maps, the run's remap tables ----

    public static void WriteItemMaps(Stream stream, ShardItemMaps maps)
    {
        using var w = Writer(stream, ItemMapsMagic);
        WriteOptionalInts(w, maps.Query);
    }

    public static ShardItemMaps ReadItemMaps(Stream stream, DatasetSchema schema)
    {
        using var r = Reader(stream, ItemMapsMagic);
        return new ShardItemMaps(ReadOptionalInts(r, schema.Query.Count, "item maps"));
    }

    public static void WriteRemapTables(Stream stream, RemapTables tables)
    {
        using var w = Writer(stream, RemapTablesMagic);
        w.Write(tables.Schema.ToJson());
        BinaryFormat.WritePartitions(w, tables.Partitions);
        BinaryFormat.WriteInts(w, tables.CorpusOffsets);
        WriteOptionalInts(w, tables.Translations);
    }

    public static RemapTables ReadRemapTables(Stream stream)
    {
        using var r = Reader(stream, RemapTablesMagic);
        var schema = DatasetSchema.Parse(r.ReadString(), "remap tables");
        var partitions = BinaryFormat.ReadPartitions(r);
        var corpus = BinaryFormat.ReadInts(r);
        return new RemapTables(schema, partitions, corpus, ReadOptionalInts(r, schema.Query.Count, "remap tables"));
    }

    private static void WriteOptionalInts(BinaryWriter w, int[]?[] arrays)
    {
        w.Write(arrays.Length);
        foreach (var a in arrays)
        {
            w.Write(a is not null);
            if (a is not null) BinaryFormat.WriteInts(w, a);
        }
    }

    private static int[]?[] ReadOptionalInts(BinaryReader r, int expected, string what)
    {
        var n = r.ReadInt32();
        if (n != expected) throw new InvalidDataException($"{what} for {n} query features, the schema has {expected}");
        var arrays = new int[]?[n];
        for (var i = 0; i < n; i++) arrays[i] = r.ReadBoolean() ? BinaryFormat.ReadInts(r) : null;
        return arrays;
    }

    private static BinaryWriter Writer(Stream s, byte[] magic) => BinaryFormat.Writer(s, magic, Version);

    private static BinaryReader Reader(Stream s, byte[] magic) => BinaryFormat.Reader(s, magic, Version);

    private static void Check(ReadOnlySpan<byte> head, byte[] magic) => BinaryFormat.CheckStart(head, magic, Version);
}
