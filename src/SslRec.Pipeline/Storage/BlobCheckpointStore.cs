using SslRec.Core.Checkpoints;

namespace SslRec.Pipeline.Storage;

/// <summary>
/// Training checkpoints as blobs runs/{run}/checkpoints/ckpt-{step}.bin; keeps the newest two. A blob
/// upload is atomic (the blob appears complete or not at all), so resume never reads half a checkpoint.
/// The store's calls are synchronous (the trainer's loop is); <paramref name="ct"/> cancels them with the training.
/// </summary>
public sealed class BlobCheckpointStore(BlobStore blobs, string runId, int keep = 2, CancellationToken ct = default) : ICheckpointStore
{
    private string Prefix => BlobLayout.CheckpointPrefix(runId);

    public void Save(int step, Action<Stream> write)
    {
        using var buffer = new MemoryStream();
        write(buffer);
        buffer.Position = 0;
        blobs.Blob(BlobLayout.Artifacts, $"{Prefix}ckpt-{step:D9}.bin").Upload(buffer, overwrite: true, ct);
        foreach (var old in List().SkipLast(keep)) blobs.Blob(BlobLayout.Artifacts, old.Name).DeleteIfExists(cancellationToken: ct);
    }

    public Stream? OpenLatest(out int step)
    {
        var latest = List().LastOrDefault();
        step = latest.Step;
        if (latest.Name is null) return null;
        var buffer = new MemoryStream();
        blobs.Blob(BlobLayout.Artifacts, latest.Name).DownloadTo(buffer, ct);
        buffer.Position = 0;
        return buffer;
    }

    public List<(int Step, string Name)> List() =>
        blobs.Container(BlobLayout.Artifacts).GetBlobs(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, Prefix, ct)
            .Select(b => (Step: int.TryParse(b.Name[(Prefix.Length + 5)..^4], out var s) ? s : -1, b.Name))
            .Where(c => c.Step >= 0).OrderBy(c => c.Step).ToList();
}
