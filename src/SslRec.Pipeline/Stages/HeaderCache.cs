using SslRec.Core.Data;
using SslRec.Core.Schema;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// The header of the run last remapped by this host (owned by its <see cref="PipelineContext"/>): an
/// instance handling several remap messages of a run (they arrive together) downloads it and builds its
/// corpus index once. It holds what a remap needs (<see cref="BinaryFormat.ReadRemapHeader"/>): the query
/// features' vocabularies — the partitioned ones by size — and the corpus index, not the encoded corpus.
/// </summary>
public sealed class HeaderCache
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (string RunId, DatasetSchema Schema, VocabularyPartitions Partitions, ShardRemapper Remapper)? _last;

    /// <summary>The run's schema, partition layout and remapper (read from the header: only what a remap needs).</summary>
    public async Task<(DatasetSchema Schema, VocabularyPartitions Partitions, ShardRemapper Remapper)> GetAsync(BlobStore blobs, string runId, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_last is { } last && last.RunId == runId) return (last.Schema, last.Partitions, last.Remapper);
            _last = null; // let the previous run's header go before the next one is read
            var h = await blobs.TryReadAsync(BlobLayout.Artifacts, BlobLayout.DatasetHeader(runId), BinaryFormat.ReadRemapHeader, ct)
                    ?? throw new InvalidDataException($"{BlobLayout.Artifacts}/{BlobLayout.DatasetHeader(runId)} is missing");
            _last = (runId, h.Schema, h.Partitions, new ShardRemapper(h.Schema, h.Vocabularies, h.Corpus));
            return (h.Schema, h.Partitions, _last.Value.Remapper);
        }
        finally
        {
            _gate.Release();
        }
    }
}
