using System.Text;
using SslRec.Core.Reading;

namespace SslRec.Tests.Core;

public class LineRangeTests
{
    private static string ReadRange(byte[] file, long start, long end, byte[]? header = null)
    {
        var positioned = new MemoryStream(file) { Position = Math.Max(0, start - 1) };
        using var s = LineRange.Open(positioned, start, end, header);
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    [Fact]
    public void Every_line_is_read_by_exactly_one_range_whatever_the_boundaries()
    {
        var lines = Enumerable.Range(0, 200).Select(i => new string((char)('a' + i % 26), 1 + i * 7 % 23)).ToArray();
        foreach (var trailingNewline in new[] { true, false })
        {
            var text = string.Join("\n", lines) + (trailingNewline ? "\n" : "");
            var bytes = Encoding.UTF8.GetBytes(text);
            foreach (var target in new long[] { 1, 2, 7, 13, 64, 1000, bytes.Length })
            {
                var joined = string.Concat(LineRange.Plan(bytes.Length, target).Select(r => ReadRange(bytes, r.Start, r.End)));
                Assert.Equal(text.TrimEnd('\n'), joined.TrimEnd('\n'));
                Assert.Equal(lines.Length, joined.TrimEnd('\n').Split('\n').Length);
            }
        }
    }

    [Fact]
    public void A_header_is_prepended_to_each_range()
    {
        var bytes = Encoding.UTF8.GetBytes("h1,h2\na,1\nb,2\nc,3\n");
        var header = Encoding.UTF8.GetBytes("h1,h2\n");
        Assert.Equal("h1,h2\nb,2\nc,3\n", ReadRange(bytes, 10, 18, header)); // "b,2" starts at byte 10
        Assert.Equal("h1,h2\nc,3\n", ReadRange(bytes, 11, 18, header));
        Assert.Equal("", ReadRange(bytes, 18, 18));
    }
}
