using System.IO.Compression;
using SslRec.Core.Reading;

namespace SslRec.Tests.Core;

public class ReaderTests
{
    private static readonly ColumnRequest[] Columns = [new("user", null), new("tags", '|'), new("item", null)];
    private static readonly HashSet<string> Ignored = ["ts"];

    private static List<string[]> ReadAll(string path)
    {
        using var r = DataFiles.Open(path, Columns, Ignored);
        var rows = new List<string[]>();
        while (r.Read()) rows.Add([r.Get(0).ToString(), r.Get(1).ToString(), r.Get(2).ToString()]);
        return rows;
    }

    [Fact]
    public void Csv_handles_quotes_escapes_crlf_blank_lines_and_column_order()
    {
        using var dir = new TempDirectory();
        var path = dir.File("a.csv", "item,ts,user,tags\r\n\"i,1\",5,u1,\"a|b\"\r\n\r\ni2,6,\"say \"\"hi\"\"\",\n");
        var rows = ReadAll(path);
        Assert.Equal(2, rows.Count);
        Assert.Equal(["u1", "a|b", "i,1"], rows[0]);
        Assert.Equal(["say \"hi\"", "", "i2"], rows[1]);
    }

    [Fact]
    public void Tsv_and_gzip_are_read()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "b.tsv.gz");
        using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        using (var w = new StreamWriter(gz))
            w.Write("user\ttags\titem\nu1\tx|y\ti1\n");
        Assert.Equal([["u1", "x|y", "i1"]], ReadAll(path));
    }

    [Fact]
    public void Jsonl_accepts_arrays_numbers_and_nulls()
    {
        using var dir = new TempDirectory();
        var path = dir.File("c.jsonl", """
            {"user": 17, "tags": ["a", 2, null], "item": "i1", "ts": {"nested": true}}
            {"user": null, "tags": "p|q", "item": "i\u00e92"}
            """);
        var rows = ReadAll(path);
        Assert.Equal(["17", "a|2", "i1"], rows[0]);
        Assert.Equal(["", "p|q", "ié2"], rows[1]);
    }

    [Fact]
    public void Csv_unknown_column_is_reported_with_file_row_and_field()
    {
        using var dir = new TempDirectory();
        var path = dir.File("d.csv", "user,tags,item,colour\nu,t,i,red\n");
        var e = Assert.Throws<DataFormatException>(() => DataFiles.Open(path, Columns, Ignored));
        Assert.Equal(path, e.FilePath);
        Assert.Equal(1, e.Row);
        Assert.Equal("colour", e.Field);
        Assert.Contains("unknown column", e.Message);
    }

    [Theory]
    [InlineData("user,tags,item\nu1,a,i1\nu2,a\n", 3, null, "expected 3 fields")]
    [InlineData("user,tags,item\nu1,\"a,i1\n", 2, null, "unterminated quote")]
    public void Csv_unparsable_rows_name_file_and_row(string content, long row, string? field, string problem)
    {
        using var dir = new TempDirectory();
        var path = dir.File("e.csv", content);
        var e = Assert.Throws<DataFormatException>(() => ReadAll(path));
        Assert.Equal(row, e.Row);
        Assert.Equal(field, e.Field);
        Assert.Contains(problem, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Theory]
    [InlineData("{\"user\": [\"a\"], \"item\": \"i\"}", "user", "expected a single value")]
    [InlineData("{\"user\": \"u\", \"tags\": [[1]], \"item\": \"i\"}", "tags", "expected a string, number or boolean")]
    [InlineData("{\"user\": {\"x\": 1}, \"item\": \"i\"}", "user", "expected a string, number or boolean")]
    [InlineData("{\"usr\": \"u\", \"item\": \"i\"}", "usr", "unknown field")]
    [InlineData("{\"user\": \"u\", ", null, "invalid JSON")]
    public void Jsonl_wrong_types_and_bad_json_name_the_field(string line, string? field, string problem)
    {
        using var dir = new TempDirectory();
        var path = dir.File("f.jsonl", "{\"user\": \"ok\", \"item\": \"i0\"}\n" + line + "\n");
        var e = Assert.Throws<DataFormatException>(() => ReadAll(path));
        Assert.Equal(2, e.Row);
        Assert.Equal(field, e.Field);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Line_reader_handles_lines_longer_than_its_buffer()
    {
        var longValue = new string('x', 200_000);
        using var lines = new LineReader(new MemoryStream(System.Text.Encoding.UTF8.GetBytes("a\n" + longValue + "\nb")), "long.txt", "text");
        var seen = new List<string>();
        while (lines.TryReadLine(out var l)) seen.Add(l.ToString());
        Assert.Equal(["a", longValue, "b"], seen);
    }
}
