using System.IO.Compression;
using System.Text;
using Parquet;
using Parquet.Schema;
using SslRec.Core.Data;
using SslRec.Core.Input;
using SslRec.Core.Reading;
using SslRec.Core.Schema;

namespace SslRec.Tests.Core;

/// <summary>
/// Data files must be UTF-8: bytes that are not (a Latin-1 export) fail naming file, row and byte offset,
/// instead of becoming U+FFFD and merging "café" and "cafè" into one item.
/// </summary>
public class TextEncodingTests
{
    private static readonly ColumnRequest[] Columns = [new("user", null), new("item", null)];
    private static readonly HashSet<string> Ignored = [];
    private static readonly Encoding Latin1 = Encoding.Latin1;

    private static List<string> Items(string path, long maxBad = 0)
    {
        using var reader = DataFiles.Open(path, Columns, Ignored);
        var items = new List<string>();
        long bad = 0;
        while (true)
        {
            try
            {
                if (!reader.Read()) return items;
                items.Add(reader.Get(1).ToString());
            }
            catch (DataFormatException) when (bad++ < maxBad) { }
        }
    }

    private static string Write(TempDirectory dir, string name, byte[] bytes)
    {
        var path = Path.Combine(dir.Path, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData("items.csv", "user,item\nu1,plain\nu2,café\nu3,cafè\n", 3)]
    [InlineData("items.tsv", "user\titem\nu1\tplain\nu2\tcafé\nu3\tcafè\n", 3)]
    [InlineData("items.jsonl", "{\"user\":\"u1\",\"item\":\"plain\"}\n{\"user\":\"u2\",\"item\":\"café\"}\n{\"user\":\"u3\",\"item\":\"cafè\"}\n", 2)]
    public void Latin1_text_fails_naming_file_row_and_byte_offset(string name, string text, int row)
    {
        using var dir = new TempDirectory();
        var bytes = Latin1.GetBytes(text);
        var path = Write(dir, name, bytes);
        var e = Assert.Throws<DataFormatException>(() => Items(path));
        Assert.Equal(path, e.FilePath);
        Assert.Equal(row, e.Row);
        var offset = Array.IndexOf(bytes, (byte)0xE9);
        Assert.Contains($"not valid UTF-8 at byte offset {offset} (byte 0xE9)", e.Message);
        Assert.Contains("must be UTF-8", e.Message);
    }

    [Fact]
    public void The_same_text_as_utf8_keeps_cafe_and_cafe_grave_apart()
    {
        using var dir = new TempDirectory();
        var path = Write(dir, "ok.csv", Encoding.UTF8.GetBytes("user,item\nu1,plain\nu2,café\nu3,cafè\n"));
        Assert.Equal(["plain", "café", "cafè"], Items(path));
    }

    [Fact]
    public void A_gzip_file_names_the_offset_in_its_uncompressed_text()
    {
        using var dir = new TempDirectory();
        var text = Latin1.GetBytes("user,item\nu1,plain\nu2,café\n");
        using (var gz = new GZipStream(File.Create(Path.Combine(dir.Path, "a.csv.gz")), CompressionLevel.Fastest)) gz.Write(text);
        var e = Assert.Throws<DataFormatException>(() => Items(Path.Combine(dir.Path, "a.csv.gz")));
        Assert.Equal(3, e.Row);
        Assert.Contains($"not valid UTF-8 at uncompressed byte offset {Array.IndexOf(text, (byte)0xE9)} (byte 0xE9)", e.Message);
    }

    [Fact]
    public void A_byte_range_and_a_gzip_block_name_the_offset_in_the_file()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "schema.json"), """
            { "query": [ {"name": "user", "type": "categorical"} ], "item": [ {"name": "item", "type": "categorical", "key": true} ] }
            """);
        var schema = DatasetSchema.Load(Path.Combine(dir.Path, "schema.json"));
        var lines = new StringBuilder("user,item\n");
        for (var i = 0; i < 20_000; i++) lines.Append($"u{i % 300},i{i % 700}\n");
        var bytes = Encoding.UTF8.GetBytes(lines.ToString()).Concat(Latin1.GetBytes("u9,café\n")).ToArray();
        var offset = Array.IndexOf(bytes, (byte)0xE9);
        var csv = Write(dir, "interactions.csv", bytes);

        // the last 64 KB range of the file, its rows counted from the range start
        var file = InputFile.Local(csv);
        var last = file.Plan(1 << 16).Last();
        var e = Assert.Throws<DataFormatException>(() => ShardEncoder.Encode(file, last, catalog: false, schema, withCatalog: false, new DatasetReadOptions()));
        Assert.Contains($"not valid UTF-8 at byte offset {offset:N0} (byte 0xE9)", e.Message);
        Assert.Contains("rows counted from the range start", e.Message);

        // the same text gzipped and encoded in 64 KB blocks on two threads
        using (var gz = new GZipStream(File.Create(Path.Combine(dir.Path, "b.csv.gz")), CompressionLevel.Fastest)) gz.Write(bytes);
        var g = Assert.Throws<DataFormatException>(() => DatasetEncoder.EncodeInteractions(schema, [Path.Combine(dir.Path, "b.csv.gz")], withCatalog: false,
            new DatasetReadOptions { Threads = 2, ShardTargetBytes = 1 << 16 }));
        Assert.Contains($"not valid UTF-8 at uncompressed byte offset {offset:N0} (byte 0xE9)", g.Message);
    }

    [Fact]
    public void With_max_bad_rows_the_row_is_skipped_and_counted_and_reading_goes_on()
    {
        using var dir = new TempDirectory();
        // two invalid sequences on one line are one bad row; the rows around it are read
        var path = Write(dir, "a.csv", [.. Encoding.UTF8.GetBytes("user,item\nu1,first\n"), .. Latin1.GetBytes("u2,café à\n"), .. Encoding.UTF8.GetBytes("u3,last\n")]);
        Assert.Equal(["first", "last"], Items(path, maxBad: 1));
    }

    [Fact]
    public void Multibyte_characters_split_between_reads_decode_as_one_stream_would()
    {
        var text = "user,item\n" + string.Concat(Enumerable.Range(0, 3000).Select(i => $"ü{i},日本{i}🙂\n"));
        using var reader = DataFiles.Open(new Trickle([.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text)]), "trickle.csv", Columns, Ignored);
        var rows = 0;
        while (reader.Read())
        {
            Assert.Equal($"ü{rows}", reader.Get(0).ToString()); // the byte order mark is not part of the header or the first value
            Assert.Equal($"日本{rows}🙂", reader.Get(1).ToString());
            rows++;
        }
        Assert.Equal(3000, rows);
    }

    [Fact]
    public void A_utf16_file_is_refused_with_what_to_do()
    {
        using var dir = new TempDirectory();
        var path = Write(dir, "excel.csv", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("user,item\nu1,i1\n")]);
        var e = Assert.Throws<DataFormatException>(() => Items(path));
        Assert.Contains("UTF-16 text (byte order mark 0xFF 0xFE)", e.Message);
        Assert.Contains("save or export it as UTF-8", e.Message);
    }

    [Fact]
    public void A_binary_file_is_reported_as_not_text_even_when_its_first_line_has_no_control_character()
    {
        using var dir = new TempDirectory();
        var path = Write(dir, "photo.csv", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0xFF, 0xD8, 0x0A]);
        var e = Assert.Throws<DataFormatException>(() => Items(path));
        Assert.Contains("this is not a CSV text file", e.Message);
    }

    [Fact]
    public async Task A_parquet_string_that_is_not_utf8_fails_naming_file_row_and_column()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "items.parquet");
        var user = new DataField<string>("user");
        var item = new DataField<string>("item");
        await using (var stream = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(user, item), stream, new ParquetOptions { CompressionMethod = CompressionMethod.None }))
        using (var group = writer.CreateRowGroup())
        {
            await group.WriteAsync(user, new string?[] { "u1", "u2", "u3", "u4" }, null);
            await group.WriteAsync(item, new string?[] { "plain", "cafQ", "cafZ", "last" }, null);
        }
        // what a writer that copied Latin-1 bytes into a string column leaves: "caf\xE9", "caf\xE8"
        var bytes = File.ReadAllBytes(path);
        Patch(bytes, "cafQ", 0xE9);
        Patch(bytes, "cafZ", 0xE8);
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<DataFormatException>(() => Items(path));
        Assert.Equal((path, 2L, "item"), (e.FilePath, e.Row, e.Field)); // Parquet rows count from 1 (no header line)
        Assert.Contains("not valid UTF-8", e.Message);
        Assert.Equal(["plain", "last"], Items(path, maxBad: 2)); // each is an unusable row, skipped with --max-bad-rows
    }

    private static void Patch(byte[] bytes, string ascii, byte last)
    {
        var pattern = Encoding.ASCII.GetBytes(ascii);
        var found = 0;
        for (var i = 0; i + pattern.Length <= bytes.Length; i++)
            if (bytes.AsSpan(i, pattern.Length).SequenceEqual(pattern))
            {
                bytes[i + pattern.Length - 1] = last;
                found++;
            }
        Assert.True(found > 0, $"'{ascii}' is not in the file");
    }

    /// <summary>Hands out 1 to 5 bytes per read: multi-byte characters arrive in pieces.</summary>
    private sealed class Trickle(byte[] data) : ForwardOnlyStream(new MemoryStream(data))
    {
        private int _next;
        public override int Read(Span<byte> buffer) => Inner.Read(buffer[..Math.Min(buffer.Length, 1 + _next++ % 5)]);
    }
}
