using System.Runtime.InteropServices;
using System.Text;
using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// Binary files of the pipeline: the two halves of a map shard, the dataset header (vocabulary reduce)
/// and example parts (remap output, read by the trainer). Int arrays are stored raw (little-endian), strings as UTF-8; every file starts with
/// a magic and a format version so a reader never misreads a foreign or older file.
/// </summary>
public static class BinaryFormat
{
    private const int Version = 4; // 3: partitioned vocabularies (sizes in the header, values in slices); 4: the item key partitioned too
    private static readonly byte[] ShardVocabularyMagic = "SSLRSVOC"u8.ToArray();
    private static readonly byte[] ShardRowsMagic = "SSLRSROW"u8.ToArray();
    private static readonly byte[] HeaderMagic = "SSLRHEAD"u8.ToArray();
    private static readonly byte[] ExamplesMagic = "SSLREXMP"u8.ToArray();

    /// <summary>The part of a map shard the vocabulary reduce reads (dictionaries, counts, item rows).</summary>
    /// <remarks>The pipeline writes <see cref="ShardVocabulary.HeaderStepPart"/>: the rest travels in the shard's keys and item entries (<see cref="PartitionFormat"/>).</remarks>
    public static void WriteShardVocabulary(Stream stream, ShardVocabulary s)
    {
        using var w = Writer(stream, ShardVocabularyMagic);
        w.Write((int)s.Kind);
        w.Write(s.Source);
        w.Write(s.Dictionaries.Length);
        foreach (var d in s.Dictionaries) WriteDictionary(w, d);
        WriteInts(w, s.EvalRowsOfKey);
        WriteTable(w, s.Items);
        WriteLongs(w, s.ItemRows);
        WriteLongs(w, s.FirstRowOfKey);
        w.Write(s.RowsRead);
        w.Write(s.RowsOutsideFraction);
        w.Write(s.BadRows);
        WriteStrings(w, s.BadRowMessages);
    }

    public static ShardVocabulary ReadShardVocabulary(Stream stream, DatasetSchema schema)
    {
        using var r = Reader(stream, ShardVocabularyMagic);
        var kind = (ShardKind)r.ReadInt32();
        var source = r.ReadString();
        var n = r.ReadInt32();
        if (n != schema.All.Count) throw new InvalidDataException($"shard has {n} features, the schema {schema.All.Count}");
        var dictionaries = new LocalDictionary[n];
        for (var i = 0; i < n; i++) dictionaries[i] = ReadDictionary(r);
        return new ShardVocabulary
        {
            Kind = kind, Source = source, Dictionaries = dictionaries, EvalRowsOfKey = ReadInts(r),
            Items = ReadTable(r, schema.Item), ItemRows = ReadLongs(r), FirstRowOfKey = ReadLongs(r),
            RowsRead = r.ReadInt64(), RowsOutsideFraction = r.ReadInt64(), BadRows = r.ReadInt64(), BadRowMessages = ReadStrings(r),
        };
    }

    /// <summary>The part of a map shard its remap reads (the rows, in local ids).</summary>
    public static void WriteShardRows(Stream stream, ShardRows s)
    {
        using var w = Writer(stream, ShardRowsMagic);
        WriteTable(w, s.TrainQueries);
        WriteInts(w, s.TrainKeys);
        WriteTable(w, s.EvalQueries);
        WriteInts(w, s.EvalKeys);
    }

    public static ShardRows ReadShardRows(Stream stream, DatasetSchema schema)
    {
        using var r = Reader(stream, ShardRowsMagic);
        return new ShardRows { TrainQueries = ReadTable(r, schema.Query), TrainKeys = ReadInts(r), EvalQueries = ReadTable(r, schema.Query), EvalKeys = ReadInts(r) };
    }

    /// <summary>The vocabulary reduce's output: schema, vocabularies, corpus, report.</summary>
    public static void WriteHeader(Stream stream, DatasetHeader d)
    {
        using var w = Writer(stream, HeaderMagic);
        w.Write(d.Schema.ToJson());
        foreach (var v in d.Vocabularies)
        {
            // a partitioned feature's values stay in its slices; the header carries its sizes
            w.Write(v.HasValues);
            w.Write(v.Kept);
            w.Write(v.OovBuckets);
            w.Write(v.OovCount);
            if (v.HasValues)
                for (var i = 1; i <= v.Kept; i++)
                {
                    WriteText(w, v.Text(i));
                    w.Write(v.Counts[i - 1]);
                }
        }
        WritePartitions(w, d.Partitions);
        WriteTable(w, d.Items);
        WriteStrings(w, d.ItemKeys);
        WriteLongs(w, d.ItemTrainCounts);
        var rep = d.Report;
        foreach (var x in new[] { rep.RowsRead, rep.TrainRows, rep.EvalRows, rep.RowsOutsideFraction, rep.BadRows, rep.CatalogItems }) w.Write(x);
        WriteStrings(w, rep.BadRowMessages);
    }

    public static DatasetHeader ReadHeader(Stream stream)
    {
        using var r = Reader(stream, HeaderMagic);
        var schema = DatasetSchema.Parse(r.ReadString(), "dataset header");
        var vocabularies = new Vocabulary[schema.All.Count];
        for (var i = 0; i < vocabularies.Length; i++) vocabularies[i] = ReadVocabulary(r, schema.All[i].Name);
        var partitionLayout = ReadPartitions(r);
        // a tied query feature shares its item feature's vocabulary object, as after the merge
        for (var f = 0; f < schema.Query.Count; f++)
            if (schema.TableOwner(f) is var owner && owner != f) vocabularies[f] = vocabularies[owner];
        var items = ReadTable(r, schema.Item);
        var keys = ReadInterned(r, "the corpus's item keys");
        var counts = ReadLongs(r);
        var n = Enumerable.Range(0, 6).Select(_ => r.ReadInt64()).ToArray();
        return new DatasetHeader
        {
            Schema = schema, Vocabularies = vocabularies, Partitions = partitionLayout, Items = items, ItemKeys = keys, ItemTrainCounts = counts,
            Report = new ReadReport
            {
                RowsRead = n[0], TrainRows = n[1], EvalRows = n[2], RowsOutsideFraction = n[3], BadRows = n[4], CatalogItems = n[5],
                BadRowMessages = ReadStrings(r),
            },
        };
    }

    internal static void WriteDictionary(BinaryWriter w, LocalDictionary d)
    {
        WriteStrings(w, d.Values);
        WriteLongs(w, d.Counts);
    }

    /// <summary>A dictionary as <see cref="WriteDictionary"/> wrote it, interned without a string per value.</summary>
    internal static LocalDictionary ReadDictionary(BinaryReader r)
    {
        var n = r.ReadInt32();
        var d = new LocalDictionary();
        var buffer = new char[256];
        for (var i = 0; i < n; i++)
        {
            var text = ReadPrefixedText(r, ref buffer);
            if (i > 0 && d.IdOf(text) != i) throw new InvalidDataException($"value '{text}' is listed twice in a shard dictionary");
        }
        if (r.ReadInt32() != n) throw new InvalidDataException("a shard dictionary's values and counts differ in length");
        for (var i = 0; i < n; i++) d.AddCount(i, r.ReadInt64());
        return d;
    }

    /// <summary>A string as BinaryWriter.Write(string) writes it (7-bit length, UTF-8), decoded into a reused buffer.</summary>
    private static ReadOnlySpan<char> ReadPrefixedText(BinaryReader r, ref char[] buffer) => ReadUtf8(r, r.Read7BitEncodedInt(), ref buffer);

    /// <summary>n bytes of UTF-8 decoded into a reused buffer (valid until its next use).</summary>
    private static ReadOnlySpan<char> ReadUtf8(BinaryReader r, int n, ref char[] buffer)
    {
        Span<byte> small = stackalloc byte[512];
        var bytes = n <= small.Length ? small[..n] : new byte[n];
        r.BaseStream.ReadExactly(bytes);
        if (buffer.Length < n) buffer = new char[n];
        return buffer.AsSpan(0, Encoding.UTF8.GetChars(bytes, buffer));
    }

    private static Vocabulary ReadVocabulary(BinaryReader r, string feature)
    {
        var hasValues = r.ReadBoolean();
        var kept = r.ReadInt32();
        var buckets = r.ReadInt32();
        var oov = r.ReadInt64();
        if (!hasValues) return Vocabulary.Sized(feature, kept, buckets, oov);
        // the values stream into the interned table: no string per value
        var builder = new Vocabulary.Builder(feature, buckets);
        var buffer = new char[256];
        for (var i = 0; i < kept; i++)
        {
            var text = ReadText(r, ref buffer);
            builder.Add(text, r.ReadInt64());
        }
        builder.AddOov(oov);
        return builder.Build();
    }

    private static void WriteText(BinaryWriter w, ReadOnlySpan<char> text)
    {
        Span<byte> small = stackalloc byte[512];
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var bytes = max <= small.Length ? small : new byte[max];
        var n = Encoding.UTF8.GetBytes(text, bytes);
        w.Write(n);
        w.Write(bytes[..n]);
    }

    private static ReadOnlySpan<char> ReadText(BinaryReader r, ref char[] buffer) => ReadUtf8(r, r.ReadInt32(), ref buffer);

    /// <summary>One part of remapped examples (global ids, corpus indices).</summary>
    public static void WriteExamples(Stream stream, EncodedExamples e)
    {
        using var w = Writer(stream, ExamplesMagic);
        WriteTable(w, e.Queries);
        WriteInts(w, e.ItemIndex);
    }

    public static EncodedExamples ReadExamples(Stream stream, DatasetSchema schema)
    {
        using var r = Reader(stream, ExamplesMagic);
        return new EncodedExamples(ReadTable(r, schema.Query), ReadInts(r));
    }

    private static BinaryWriter Writer(Stream s, byte[] magic) => Writer(s, magic, Version);

    private static BinaryReader Reader(Stream s, byte[] magic) => Reader(s, magic, Version);

    /// <summary>A writer that has written a file's magic and format version (every SslRec binary file starts so).</summary>
    internal static BinaryWriter Writer(Stream s, byte[] magic, int version)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("SslRec binary files are little-endian");
        var w = new BinaryWriter(s, Encoding.UTF8, leaveOpen: true);
        w.Write(magic);
        w.Write(version);
        return w;
    }

    internal static BinaryReader Reader(Stream s, byte[] magic, int version)
    {
        var r = new BinaryReader(s, Encoding.UTF8, leaveOpen: true);
        Span<byte> head = stackalloc byte[12];
        s.ReadExactly(head);
        CheckStart(head, magic, version);
        return r;
    }

    /// <summary>Checks a file's first 12 bytes: its magic and format version.</summary>
    internal static void CheckStart(ReadOnlySpan<byte> head, byte[] magic, int version)
    {
        if (head.Length < 12 || !head[..8].SequenceEqual(magic))
            throw new InvalidDataException($"not an SslRec {Encoding.ASCII.GetString(magic)} file");
        var found = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(head[8..]);
        if (found != version) throw new InvalidDataException($"unsupported format version {found} (this build reads {version})");
    }

    private static void WriteTable(BinaryWriter w, EncodedTable t)
    {
        w.Write(t.RowCount);
        foreach (var c in t.Columns)
        {
            if (c.Ids is not null) WriteInts(w, c.Ids);
            else
            {
                WriteInts(w, c.Offsets!);
                WriteInts(w, c.Values!);
            }
        }
    }

    private static EncodedTable ReadTable(BinaryReader r, IReadOnlyList<FeatureSpec> specs)
    {
        var rows = r.ReadInt32();
        var columns = specs.Select(s => s.IsMulti ? new FeatureColumn(s, ReadInts(r), ReadInts(r)) : new FeatureColumn(s, ReadInts(r))).ToList();
        return new EncodedTable(columns, rows);
    }

    /// <summary>Where each vocabulary partition's ids start (the header and the remap tables carry it).</summary>
    internal static void WritePartitions(BinaryWriter w, VocabularyPartitions p)
    {
        w.Write(p.Count);
        WriteInts(w, p.Features);
        foreach (var o in p.Offsets) WriteInts(w, o);
    }

    internal static VocabularyPartitions ReadPartitions(BinaryReader r)
    {
        var count = r.ReadInt32();
        var features = ReadInts(r);
        return new VocabularyPartitions(count, features, features.Select(_ => ReadInts(r)).ToArray());
    }

    internal static void WriteInts(BinaryWriter w, int[] values)
    {
        w.Write(values.Length);
        w.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    internal static int[] ReadInts(BinaryReader r)
    {
        var values = new int[r.ReadInt32()];
        ReadExactly(r, MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    internal static void WriteLongs(BinaryWriter w, IReadOnlyList<long> values)
    {
        w.Write(values.Count);
        foreach (var v in values) w.Write(v);
    }

    internal static long[] ReadLongs(BinaryReader r)
    {
        var values = new long[r.ReadInt32()];
        ReadExactly(r, MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    private static void WriteStrings(BinaryWriter w, IReadOnlyList<string> values)
    {
        w.Write(values.Count);
        foreach (var v in values) w.Write(v);
    }

    private static string[] ReadStrings(BinaryReader r)
    {
        var values = new string[r.ReadInt32()];
        for (var i = 0; i < values.Length; i++) values[i] = r.ReadString();
        return values;
    }

    /// <summary>Strings as <see cref="WriteStrings"/> wrote them, interned (no string object each).</summary>
    internal static InternedList ReadInterned(BinaryReader r, string what)
    {
        var n = r.ReadInt32();
        var table = new InternTable();
        var buffer = new char[256];
        for (var i = 0; i < n; i++)
            if (table.IdOf(ReadPrefixedText(r, ref buffer)) != i + 1) throw new InvalidDataException($"{what}: a value is empty or listed twice");
        return new InternedList(table, n);
    }

    private static void ReadExactly(BinaryReader r, Span<byte> into)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("SslRec binary files are little-endian");
        r.BaseStream.ReadExactly(into);
    }
}
