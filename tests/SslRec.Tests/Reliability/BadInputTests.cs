using System.IO.Compression;
using SslRec.Core.Data;
using SslRec.Core.Reading;
using SslRec.Core.Synthetic;

namespace SslRec.Tests.Reliability;

/// <summary>Input that used to be accepted with rows silently lost, or reported without naming the file.</summary>
public class BadInputTests
{
    private static readonly ColumnRequest[] Columns = [new("user", null), new("item", null)];
    private static readonly HashSet<string> Ignored = [];

    private static byte[] Gzip(string text)
    {
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(System.Text.Encoding.UTF8.GetBytes(text));
        return buffer.ToArray();
    }

    private static string Rows(int n) => "user,item\n" + string.Concat(Enumerable.Range(0, n).Select(i => $"u{i % 97:D3},i{i * 7919 % 1000:D4}\n"));

    private static int CountRows(Stream stream, string name)
    {
        using var reader = DataFiles.Open(stream, name, Columns, Ignored);
        var rows = 0;
        while (reader.Read()) rows++;
        return rows;
    }

    /// <summary>Hands out 1 to 5 bytes per read, as a slow network stream may.</summary>
    private sealed class Trickle(byte[] data) : ForwardOnlyStream(new MemoryStream(data))
    {
        private int _next;
        public override int Read(Span<byte> buffer) => Inner.Read(buffer[..Math.Min(buffer.Length, 1 + _next++ % 5)]);
    }

    [Fact]
    public void A_complete_gzip_file_reads_every_row_also_from_a_stream_that_trickles()
    {
        var gz = Gzip(Rows(3000));
        Assert.Equal(3000, CountRows(new MemoryStream(gz), "whole.csv.gz"));
        Assert.Equal(3000, CountRows(new Trickle(gz), "whole.csv.gz"));
    }

    [Theory]
    [InlineData(2.0 / 3, "truncated or corrupt gzip file")]
    [InlineData(0.5, "truncated or corrupt gzip file")]
    public void A_truncated_gzip_file_fails_naming_the_file_and_where_the_data_ended(double keep, string expected)
    {
        var gz = Gzip(Rows(3000));
        var cut = gz[..(int)(gz.Length * keep)];
        var e = Assert.Throws<InvalidDataException>(() => CountRows(new MemoryStream(cut), "data/cut.csv.gz"));
        Assert.Contains("data/cut.csv.gz", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Matches(@"ends after [\d,]+ uncompressed bytes", e.Message);
    }

    [Fact]
    public void A_gzip_file_missing_only_its_trailer_fails_too()
    {
        var gz = Gzip(Rows(300));
        var e = Assert.Throws<InvalidDataException>(() => CountRows(new MemoryStream(gz[..^8]), "t.csv.gz"));
        Assert.Contains("t.csv.gz", e.Message);
    }

    [Fact]
    public void Concatenated_gzip_members_are_refused_with_how_to_recompress()
    {
        var joined = Gzip(Rows(100)).Concat(Gzip("u1,i1\n")).ToArray();
        var e = Assert.Throws<InvalidDataException>(() => CountRows(new MemoryStream(joined), "joined.csv.gz"));
        Assert.Contains("gzip -dc FILE | gzip > NEW", e.Message);
    }

    [Fact]
    public void Random_bytes_are_reported_as_not_gzip_or_not_text_with_the_file_name()
    {
        var noise = new byte[4096];
        new Random(7).NextBytes(noise);
        var gz = Assert.Throws<InvalidDataException>(() => CountRows(new MemoryStream(noise), "noise.csv.gz"));
        Assert.StartsWith("noise.csv.gz: not a valid gzip file", gz.Message);
        var csv = Assert.Throws<DataFormatException>(() => CountRows(new MemoryStream(noise), "noise.csv"));
        Assert.Equal("noise.csv, row 1: this is not a CSV text file (binary data: a compressed or other binary file? compressed files need the .gz extension)", csv.Message);
        var jsonl = Assert.Throws<DataFormatException>(() => CountRows(new MemoryStream(noise), "noise.jsonl"));
        Assert.Contains("not a JSON Lines text file", jsonl.Message);
        var packed = Assert.Throws<DataFormatException>(() => CountRows(new MemoryStream(Gzip(Rows(10))), "packed-without-extension.csv"));
        Assert.Contains("not a CSV text file", packed.Message);
    }

    [Fact]
    public void Reading_a_dataset_folder_with_a_truncated_gzip_file_fails_instead_of_dropping_rows()
    {
        using var dir = new TempDirectory();
        SyntheticGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 3000, Items = 50, Seed = 2 });
        var csv = Path.Combine(dir.Path, "interactions.csv");
        var gz = Gzip(File.ReadAllText(csv));
        File.Delete(csv);
        File.WriteAllBytes(csv + ".gz", gz[..(gz.Length * 2 / 3)]);
        var e = Assert.Throws<InvalidDataException>(() => DatasetEncoder.Read(dir.Path));
        Assert.Contains("interactions.csv.gz", e.Message);
        Assert.Contains("truncated", e.Message);
    }
}
