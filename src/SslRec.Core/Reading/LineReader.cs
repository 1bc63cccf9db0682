using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace SslRec.Core.Reading;

/// <summary>
/// Reads the lines of a text file's bytes into one reusable char buffer (no string per line). The span
/// returned by <see cref="TryReadLine"/> is valid until the next call. Handles \n and \r\n endings.
/// The bytes must be UTF-8 (a UTF-8 byte order mark is skipped). They are decoded in bulk by
/// <see cref="Utf8.ToUtf16"/>, which validates as it decodes: an invalid byte is never replaced by
/// U+FFFD (that silently turned Latin-1 "café" and "cafè" into one value). The line holding it fails
/// with a <see cref="DataFormatException"/> naming file, row and byte offset; reading goes on after that
/// line, so --max-bad-rows can skip and count such rows like any other unusable row.
/// </summary>
public sealed class LineReader : IDisposable
{
    private readonly Stream _stream;
    private readonly string _file;
    private readonly string _format;
    private readonly bool _uncompressedOffsets;
    private readonly byte[] _bytes = new byte[1 << 16];
    private int _byteStart, _byteEnd;
    private long _bytesBefore;          // stream position of _bytes[0]
    private bool _streamEnded, _bomChecked;
    private char[] _buffer = new char[1 << 16];
    private int _start, _end;
    private bool _eof;                  // every byte is decoded
    private bool _invalid;              // decoding stopped at _bytes[_byteStart], an invalid sequence
    private bool _skipping;             // dropping the rest of a line that held invalid bytes

    /// <param name="file">names the file in errors</param>
    /// <param name="format">"CSV", "TSV", "JSON Lines": names the format a binary file is not</param>
    /// <param name="uncompressedOffsets">whether byte offsets count the decompressed text (a .gz file)</param>
    public LineReader(Stream stream, string file, string format, bool uncompressedOffsets = false)
    {
        _stream = stream;
        _file = file;
        _format = format;
        _uncompressedOffsets = uncompressedOffsets;
    }

    /// <summary>1-based number of the line last returned (or refused).</summary>
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
                if (_skipping)
                {
                    _skipping = false;
                    _start = scanFrom = lineEnd + 1;
                    continue;
                }
                line = TrimCr(_buffer.AsSpan(_start, lineEnd - _start));
                _start = lineEnd + 1;
                LineNumber++;
                return true;
            }
            if (_invalid)
            {
                // The invalid bytes belong to the line being read: [_start, _end) holds its valid beginning.
                var error = _skipping ? null : InvalidText();
                if (!_skipping) LineNumber++;
                _skipping = true;
                _start = scanFrom = _end;
                SkipInvalidSequence();
                if (error is not null) throw error;
                continue;
            }
            if (_eof)
            {
                if (_start < _end && !_skipping)
                {
                    line = TrimCr(_buffer.AsSpan(_start, _end - _start));
                    _start = _end;
                    LineNumber++;
                    return true;
                }
                _start = _end;
                _skipping = false;
                line = default;
                return false;
            }
            scanFrom = _end - _start;
            Fill();
        }
    }

    private void Fill()
    {
        // Move the partial line to the front; grow when a single line (nearly) fills the whole buffer
        // (the decoder needs room for a surrogate pair).
        var pending = _end - _start;
        if (pending > 0 && _start > 0) Array.Copy(_buffer, _start, _buffer, 0, pending);
        _start = 0;
        _end = pending;
        if (_buffer.Length - _end < 16) Array.Resize(ref _buffer, _buffer.Length * 2);
        if (!_bomChecked) CheckByteOrderMark();
        while (true)
        {
            if (_byteStart == _byteEnd && !_streamEnded) ReadBytes();
            var status = Utf8.ToUtf16(_bytes.AsSpan(_byteStart, _byteEnd - _byteStart), _buffer.AsSpan(_end),
                out var read, out var written, replaceInvalidSequences: false, isFinalBlock: _streamEnded);
            _byteStart += read;
            _end += written;
            switch (status)
            {
                case OperationStatus.Done when _streamEnded:
                    _eof = true;
                    return;
                case OperationStatus.InvalidData:
                    _invalid = true;
                    return;
                case OperationStatus.DestinationTooSmall:
                    return;
                case OperationStatus.NeedMoreData: // a sequence split at the end of the bytes read so far
                    if (written > 0) return;
                    ReadBytes();
                    continue;
                default: // Done: every byte read so far is decoded
                    if (written > 0) return;
                    continue;
            }
        }
    }

    /// <summary>Reads more bytes after the undecoded ones (at most 3: a split sequence), which move to the front.</summary>
    private void ReadBytes()
    {
        var left = _byteEnd - _byteStart;
        if (_byteStart > 0)
        {
            Array.Copy(_bytes, _byteStart, _bytes, 0, left);
            _bytesBefore += _byteStart;
            _byteStart = 0;
            _byteEnd = left;
        }
        var n = _stream.Read(_bytes, _byteEnd, _bytes.Length - _byteEnd);
        if (n == 0) _streamEnded = true;
        else _byteEnd += n;
    }

    /// <summary>Skips a UTF-8 byte order mark; refuses UTF-16 (which StreamReader used to decode from its mark) with what to do.</summary>
    private void CheckByteOrderMark()
    {
        while (_byteEnd < 3 && !_streamEnded) ReadBytes();
        _bomChecked = true;
        var head = _bytes.AsSpan(0, _byteEnd);
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) _byteStart = 3;
        else if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
            throw new DataFormatException(_file, 1, null,
                $"the file is UTF-16 text (byte order mark 0x{head[0]:X2} 0x{head[1]:X2}); SslRec reads UTF-8: save or export it as UTF-8");
    }

    /// <summary>Steps over the maximal invalid subsequence at _byteStart (at least one byte), so decoding can go on after the bad line.</summary>
    private void SkipInvalidSequence()
    {
        Rune.DecodeFromUtf8(_bytes.AsSpan(_byteStart, _byteEnd - _byteStart), out _, out var length);
        _byteStart += Math.Max(1, length);
        _invalid = false;
    }

    private DataFormatException InvalidText()
    {
        var row = LineNumber + 1;
        // A file that is not text at all (a .gz without its extension, an image) fails its first line on
        // bytes that are not UTF-8 too; say what it is rather than quote an offset.
        if (row == 1 && BinaryText.LooksBinary(_bytes.AsSpan(0, _byteEnd))) return BinaryText.Error(_file, 1, _format);
        Rune.DecodeFromUtf8(_bytes.AsSpan(_byteStart, _byteEnd - _byteStart), out _, out var length);
        var bad = _bytes.AsSpan(_byteStart, Math.Clamp(length, 1, 4));
        var position = _bytesBefore + _byteStart;
        var offset = _stream is IFileOffsets map ? map.FileOffset(position) : position;
        return new DataFormatException(_file, row, null,
            $"not valid UTF-8 at {(_uncompressedOffsets ? "uncompressed " : "")}byte offset {offset:N0} " +
            $"({(bad.Length == 1 ? "byte" : "bytes")} {string.Join(' ', bad.ToArray().Select(b => $"0x{b:X2}"))}): " +
            "data files must be UTF-8 text; convert this one (e.g. `iconv -f latin1 -t utf-8`) and drop it again");
    }

    private static ReadOnlySpan<char> TrimCr(ReadOnlySpan<char> s) => s.Length > 0 && s[^1] == '\r' ? s[..^1] : s;

    public void Dispose() => _stream.Dispose();
}

/// <summary>
/// A stream of a file's text that does not start at the file's first byte (a byte range or a block of a
/// file, after the file's header line): maps a position in the stream to the byte offset in the file, so
/// errors can name the offset a user finds with a hex editor.
/// </summary>
public interface IFileOffsets
{
    long FileOffset(long position);
}
