using SslRec.Core.Data;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// The remap tables of the run last remapped by this host (owned by its <see cref="PipelineContext"/>): an
/// instance handling several remap messages of a run (they arrive together) downloads them once. They are
/// small — the schema, the partition layout and an int per distinct value of a tied query feature — and
/// hold no vocabulary and no corpus (<see cref="RemapTables"/>).
/// </summary>
public sealed class RemapTablesCache
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (string RunId, RemapTables Tables)? _last;

    public async Task<RemapTables> GetAsync(BlobStore blobs, string runId, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_last is { } last && last.RunId == runId) return last.Tables;
            _last = null; // let the previous run's tables go before the next ones are read
            var tables = await blobs.TryReadAsync(BlobLayout.Artifacts, BlobLayout.RemapTables(runId), PartitionFormat.ReadRemapTables, ct)
                         ?? throw new InvalidDataException($"{BlobLayout.Artifacts}/{BlobLayout.RemapTables(runId)} is missing (a run reduced by an earlier SslRec version: drop the dataset again)");
            _last = (runId, tables);
            return tables;
        }
        finally
        {
            _gate.Release();
        }
    }
}
