using Azure;
using Azure.Storage.Blobs.Specialized;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Runs;

/// <summary>
/// One holder at a time for a stage of a run: a blob lease on runs/{run}/{stage}.lock, renewed while held.
/// Two messages for the same step (two map shards finishing together both ask for the reduce; a repeated
/// training message asks for a second publish) used to run it twice at once, and concurrent writers of
/// the same blob failed with "block list is invalid". A message that finds the lock held can complete:
/// the holder's own message is still in flight and is retried by its host if the holder dies.
/// </summary>
public sealed class RunLock : IAsyncDisposable
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(60);
    private readonly BlobLeaseClient _lease;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewal;

    private RunLock(BlobLeaseClient lease)
    {
        _lease = lease;
        _renewal = RenewAsync();
    }

    public static string Blob(string runId, string stage) => $"runs/{runId}/{stage}.lock";

    /// <summary>The lock, or null when another holder has it.</summary>
    public static async Task<RunLock?> TryAcquireAsync(BlobStore blobs, string runId, string stage, CancellationToken ct)
    {
        var name = Blob(runId, stage);
        await blobs.TryCreateAsync(BlobLayout.Artifacts, name, BinaryData.FromString(runId), ct);
        var lease = blobs.Blob(BlobLayout.Artifacts, name).GetBlobLeaseClient();
        try
        {
            await lease.AcquireAsync(LeaseDuration, cancellationToken: ct);
            return new RunLock(lease);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return null;
        }
    }

    private async Task RenewAsync()
    {
        try
        {
            while (true)
            {
                await Task.Delay(LeaseDuration / 3, _stop.Token);
                await _lease.RenewAsync(cancellationToken: _stop.Token);
            }
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _renewal; } catch (RequestFailedException) { }
        try { await _lease.ReleaseAsync(cancellationToken: CancellationToken.None); } catch (RequestFailedException) { }
        _stop.Dispose();
    }
}
