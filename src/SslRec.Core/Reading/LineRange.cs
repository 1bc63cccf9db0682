namespace SslRec.Core.Reading;

/// <summary>
/// Byte ranges of a line-oriented file for a map fan-out. A line belongs to the range that holds its first
/// byte: a reader of [start, end) skips the partial line at its start (unless start is 0) and finishes
/// the line that crosses end. So every line is read by exactly one range, whatever the boundaries.
/// </summary>
public static class LineRange
{
    /// <summary>Splits a file of the given length into ranges of about targetBytes.</summary>
    public static List<(long Start, long End)> Plan(long length, long targetBytes)
    {
        var ranges = new List<(long, long)>();
        if (length <= targetBytes || targetBytes <= 0) return [(0, length)];
        for (long s = 0; s < length; s += targetBytes) ranges.Add((s, Math.Min(length, s + targetBytes)));
        return ranges;
    }

    /// <summary>How errors name a range of a file: its rows are counted from the range's start.</summary>
    public static string Describe(string file, long start, long end) => $"{file} (bytes {start}–{end}; rows counted from the range start)";

    /// <summary>The first line of a stream, newline included (every range of a CSV/TSV file needs it).</summary>
    public static byte[] ReadHeader(Stream stream)
    {
        var bytes = new List<byte>();
        int b;
        while ((b = stream.ReadByte()) >= 0)
        {
            bytes.Add((byte)b);
            if (b == '\n') break;
        }
        return bytes.ToArray();
    }

    /// <summary>
    /// Wraps a stream positioned at <c>max(0, start − 1)</c> of the file and yields exactly the lines
    /// whose first byte lies in [start, end). With a header (CSV/TSV ranges after the first), the header
    /// line is emitted first so the reader sees a complete file.
    /// </summary>
    public static Stream Open(Stream positioned, long start, long end, byte[]? header = null) =>
        new RangeStream(positioned, start, end, header);

    private sealed class RangeStream(Stream inner, long start, long end, byte[]? header) : ForwardOnlyStream(inner), IFileOffsets
    {
        private enum State { Skipping, Emitting, Finishing, Done }

        private readonly byte[] _buffer = new byte[1 << 16];
        private int _pos, _len;
        private long _offset = Math.Max(0, start - 1);   // file offset of _buffer[_pos]
        private State _state = start == 0 ? State.Emitting : State.Skipping;
        private bool _lastWasNewline = true;
        private int _headerPos;
        private long _bodyStart = start == 0 ? 0 : -1; // file offset of the first byte emitted after the header

        /// <summary>The header line is the file's first line; after it, the range's lines are contiguous from <c>_bodyStart</c>.</summary>
        public long FileOffset(long position)
        {
            var headerLength = header?.Length ?? 0;
            return position < headerLength ? position : _bodyStart + position - headerLength;
        }

        public override int Read(Span<byte> destination)
        {
            if (header is not null && _headerPos < header.Length)
            {
                var n = Math.Min(destination.Length, header.Length - _headerPos);
                header.AsSpan(_headerPos, n).CopyTo(destination);
                _headerPos += n;
                return n;
            }
            while (_state != State.Done && destination.Length > 0)
            {
                if (_pos == _len && !Fill()) { _state = State.Done; break; }
                var available = _buffer.AsSpan(_pos, _len - _pos);
                int intended;
                var next = _state;
                switch (_state)
                {
                    case State.Skipping:
                        // We start one byte early: if that byte is a newline, the range begins with a whole line.
                        var skip = available.IndexOf((byte)'\n');
                        if (skip < 0) { Advance(available.Length); continue; }
                        Advance(skip + 1);
                        _bodyStart = _offset;
                        _state = State.Emitting;
                        continue;
                    case State.Emitting when _offset >= end:
                        _state = _lastWasNewline ? State.Done : State.Finishing;
                        continue;
                    case State.Emitting when _offset + available.Length <= end:
                        intended = available.Length;   // every line starting here starts before end
                        break;
                    case State.Emitting:
                        var last = (int)(end - 1 - _offset); // the byte end − 1: its line is the range's last
                        var nl = available[last..].IndexOf((byte)'\n');
                        if (nl >= 0) { intended = last + nl + 1; next = State.Done; }
                        else { intended = available.Length; next = State.Finishing; }
                        break;
                    default: // Finishing: up to the end of the line crossing the boundary
                        var end2 = available.IndexOf((byte)'\n');
                        if (end2 >= 0) { intended = end2 + 1; next = State.Done; }
                        else intended = available.Length;
                        break;
                }
                var take = Math.Min(intended, destination.Length);
                available[..take].CopyTo(destination);
                _lastWasNewline = available[take - 1] == (byte)'\n';
                Advance(take);
                if (take == intended) _state = next;
                return take;
            }
            return 0;
        }

        private void Advance(int n)
        {
            _pos += n;
            _offset += n;
        }

        private bool Fill()
        {
            _pos = 0;
            _len = Inner.Read(_buffer, 0, _buffer.Length);
            return _len > 0;
        }
    }
}
