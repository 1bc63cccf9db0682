using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace SslRec.Core.Reading;

/// <summary>
/// Decompresses a gzip file and proves, when it ends, that all of it was there: .NET's GZipStream stops
/// quietly at the end of a truncated file (a cut upload lost 521 of 3,000 rows and still published), so
/// this checks the CRC-32 and length that the gzip trailer (the file's last 8 bytes) records against
/// what was decompressed. Every error names the file and the uncompressed offset where reading stopped.
/// One gzip member per file, which is what gzip, pigz, pandas and Spark write; a file of several
/// concatenated members fails the check with a message saying how to recompress it.
/// </summary>
public sealed class CheckedGzipStream : ForwardOnlyStream
{
    private readonly string _name;
    private readonly TailStream _compressed;
    private readonly Crc32 _crc = new();
    private long _length;
    private bool _verified;

    public CheckedGzipStream(Stream compressed, string name) : this(new TailStream(compressed), name) { }

    private CheckedGzipStream(TailStream compressed, string name) : base(new GZipStream(compressed, CompressionMode.Decompress))
    {
        _name = name;
        _compressed = compressed;
    }

    public override int Read(Span<byte> buffer)
    {
        int read;
        try
        {
            read = Inner.Read(buffer);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{_name}: not a valid gzip file (after {_length:N0} uncompressed bytes: {e.Message})", e);
        }
        if (read > 0)
        {
            _crc.Append(buffer[..read]);
            _length += read;
        }
        else if (buffer.Length > 0) Verify();
        return read;
    }

    private void Verify()
    {
        if (_verified) return;
        _verified = true;
        var tail = _compressed.Tail;
        if (tail.Length < 8)
            throw new InvalidDataException($"{_name}: truncated gzip file: it ends after {_length:N0} uncompressed bytes, before its gzip trailer");
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(tail);
        var size = BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(4));
        if (crc != _crc.GetCurrentHashAsUInt32() || size != (uint)_length)
            throw new InvalidDataException(
                $"{_name}: truncated or corrupt gzip file: the data ends after {_length:N0} uncompressed bytes (CRC-32 {_crc.GetCurrentHashAsUInt32():x8}), " +
                $"which the file's last 8 bytes (the gzip trailer: CRC-32 {crc:x8}, {size:N0} bytes mod 2^32) do not confirm. Upload the complete file; " +
                "if it is several gzip files joined together, recompress it as one (gzip -dc FILE | gzip > NEW)");
    }


    /// <summary>Passes the compressed bytes through and remembers the last 8 (the gzip trailer), so no seek is needed (blob streams).</summary>
    private sealed class TailStream(Stream inner) : ForwardOnlyStream(inner)
    {
        private readonly byte[] _tail = new byte[8];
        private int _kept;

        public byte[] Tail => _tail[..Math.Min(_kept, 8)];

        public override int Read(Span<byte> buffer)
        {
            var read = Inner.Read(buffer);
            if (read >= 8) buffer.Slice(read - 8, 8).CopyTo(_tail);
            else if (read > 0)
            {
                // shift the kept bytes left and append the new ones
                var keep = Math.Min(_kept, 8 - read);
                Array.Copy(_tail, Math.Min(_kept, 8) - keep, _tail, 0, keep);
                buffer[..read].CopyTo(_tail.AsSpan(keep));
                _kept = keep;
            }
            if (read >= 8) _kept = 8;
            else _kept += read;
            return read;
        }
    }
}
