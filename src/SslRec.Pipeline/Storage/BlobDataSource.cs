using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using SslRec.Core.Input;

namespace SslRec.Pipeline.Storage;

/// <summary>
/// A dataset blob as an input source for the formats of SslRec.Core: every read is a ranged download from a
/// position, so a map task fetches only its byte range, or a Parquet file's footer and its row groups' chunks.
/// Errors name it "{container}/{blob}". Reads are synchronous, as the row readers above them are.
/// </summary>
public sealed class BlobDataSource(BlobClient blob, long? length = null, CancellationToken cancellationToken = default) : IDataSource
{
    /// <summary>A header line is short: the default download buffer (4 MB) would fetch far more than it.</summary>
    private const int PeekBufferBytes = 1 << 16;

    private long? _length = length;

    public string Name { get; } = $"{blob.BlobContainerName}/{blob.Name}";

    /// <summary>From the listing when the drop planned it; otherwise one properties request.</summary>
    public long Length => _length ??= blob.GetProperties(cancellationToken: cancellationToken).Value.ContentLength;

    public Stream OpenRead(long position, ReadPattern pattern) =>
        blob.OpenRead(new BlobOpenReadOptions(allowModifications: false)
        {
            Position = position,
            BufferSize = pattern == ReadPattern.Peek ? PeekBufferBytes : null,
        }, cancellationToken);
}
