namespace SslRec.Core.Reading;

/// <summary>
/// Recognises a first line that is not text (NUL or other control characters, which neither CSV/TSV nor
/// JSON allow unescaped), so that a binary or still-compressed file is reported as such instead of having
/// its bytes quoted as a column name or a JSON error.
/// </summary>
public static class BinaryText
{
    public static bool LooksBinary(ReadOnlySpan<char> line) =>
        line.IndexOfAnyInRange('\u0000', '\u0008') >= 0 || line.IndexOfAnyInRange('\u000B', '\u000C') >= 0 || line.IndexOfAnyInRange('\u000E', '\u001F') >= 0;

    /// <summary>The same test on raw bytes (a first line that is not even UTF-8).</summary>
    public static bool LooksBinary(ReadOnlySpan<byte> bytes) =>
        bytes.IndexOfAnyInRange((byte)0x00, (byte)0x08) >= 0 || bytes.IndexOfAnyInRange((byte)0x0B, (byte)0x0C) >= 0 || bytes.IndexOfAnyInRange((byte)0x0E, (byte)0x1F) >= 0;

    public static DataFormatException Error(string file, long row, string format) =>
        new(file, row, null, $"this is not a {format} text file (binary data: a compressed or other binary file? compressed files need the .gz extension)");
}
