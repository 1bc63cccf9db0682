using SslRec.Core.Data;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// The header of the run last remapped by this host (owned by its <see cref="PipelineContext"/>): an
/// instance handling several remap messages of a run (they arrive together) downloads it and builds its
/// corpus index once. It holds the item side only — the partitioned features are in the header by size.
/// </summary>
public sealed class HeaderCache
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (string RunId, DatasetHeader Header, ShardRemapper Remapper)? _last;

    public async Task<(DatasetHeader Header, ShardRemapper Remapper)> GetAsync(BlobStore blobs, string runId, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_last is { } last && last.RunId == runId) return (last.Header, last.Remapper);
            _last = null; // let the previous run's header go before the next one is read
            var header = await blobs.TryReadAsync(BlobLayout.Artifacts, BlobLayout.DatasetHeader(runId), BinaryFormat.ReadHeader, ct)
                         ?? throw new InvalidDataException($"{BlobLayout.Artifacts}/{BlobLayout.DatasetHeader(runId)} is missing");
            _last = (runId, header, new ShardRemapper(header));
            return (header, _last.Value.Remapper);
        }
        finally
        {
            _gate.Release();
        }
    }
}
