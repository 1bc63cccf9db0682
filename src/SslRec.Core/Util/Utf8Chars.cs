using System.Text;

namespace SslRec.Core.Util;

/// <summary>Decodes UTF-8 values into one reused char buffer, so a merge that interns them makes no string per value.</summary>
internal sealed class Utf8Chars
{
    private char[] _chars = new char[256];

    /// <summary>The value's characters, valid until the next call.</summary>
    public ReadOnlySpan<char> Decode(ReadOnlySpan<byte> utf8)
    {
        var n = Encoding.UTF8.GetMaxCharCount(utf8.Length);
        if (n > _chars.Length) _chars = new char[Math.Max(n, _chars.Length * 2)];
        return _chars.AsSpan(0, Encoding.UTF8.GetChars(utf8, _chars));
    }
}
