namespace SslRec.Core.Reading;

/// <summary>
/// Reads lines from a text stream into one reusable buffer (no string per line). The span returned by
/// <see cref="TryReadLine"/> is valid until the next call. Handles \n and \r\n endings.
/// </summary>
public sealed class LineReader : IDisposable
{
    private readonly TextReader _reader;
    private char[] _buffer = new char[1 << 16];
    private int _start, _end;
    private bool _eof;

    public LineReader(TextReader reader) => _reader = reader;

    /// <summary>1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    public bool TryReadLine(out ReadOnlySpan<char> line)
    {
        var scanFrom = _start;
        while (true)
        {
            var nl = _buffer.AsSpan(scanFrom, _end - scanFrom).IndexOf('\n');
            if (nl >= 0)
            {
                var lineEnd = scanFrom + nl;
                line = TrimCr(_buffer.AsSpan(_start, lineEnd - _start));
                _start = lineEnd + 1;
                LineNumber++;
                return true;
            }
            if (_eof)
            {
                if (_start < _end)
                {
                    line = TrimCr(_buffer.AsSpan(_start, _end - _start));
                    _start = _end;
                    LineNumber++;
                    return true;
                }
                line = default;
                return false;
            }
            scanFrom = _end - _start;
            Fill();
        }
    }

    private void Fill()
    {
        // Move the partial line to the front; grow when a single line fills the whole buffer.
        var pending = _end - _start;
        if (pending > 0 && _start > 0) Array.Copy(_buffer, _start, _buffer, 0, pending);
        _start = 0;
        _end = pending;
        if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        var read = _reader.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0) _eof = true;
        else _end += read;
    }

    private static ReadOnlySpan<char> TrimCr(ReadOnlySpan<char> s) => s.Length > 0 && s[^1] == '\r' ? s[..^1] : s;

    public void Dispose() => _reader.Dispose();
}
