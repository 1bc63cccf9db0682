using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Runs;

/// <summary>
/// One holder at a time for a stage of a run: a blob lease on runs/{run}/{stage}.lock, renewed while held.
/// Two messages for the same step (two map shards finishing together both ask for the reduce; a repeated
/// training message asks for a second publish) used to run it twice at once, and concurrent writers of
/// the same blob failed with "block list is invalid". A message that finds the lock held can complete:
/// the holder's own message is still in flight and is retried by its host if the holder dies.
///
/// A holder may name itself (the queue message it works for) in the blob's metadata while it holds the
/// lease, and clears the name before it lets go. So "the lock names message M" means M's holder still has
/// the lease or died with it — and then M was not deleted (a message is deleted only after its stage let go
/// of the lock), so M comes back and finishes the work: another message for the same work is a duplicate.
/// </summary>
public sealed class RunLock : IAsyncDisposable
{
    private const string HolderKey = "holder";
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(60);
    private readonly BlobClient _blob;
    private readonly BlobLeaseClient _lease;
    private readonly bool _named;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewal;

    private RunLock(BlobClient blob, BlobLeaseClient lease, bool named)
    {
        _blob = blob;
        _lease = lease;
        _named = named;
        _renewal = RenewAsync();
    }

    public static string Blob(string runId, string stage) => $"runs/{runId}/{stage}.lock";

    /// <summary>The lock, or null when another holder has it. <paramref name="holder"/>: the message this holder works for.</summary>
    public static async Task<RunLock?> TryAcquireAsync(BlobStore blobs, string runId, string stage, CancellationToken ct, string? holder = null)
    {
        var name = Blob(runId, stage);
        await blobs.TryCreateAsync(BlobLayout.Artifacts, name, BinaryData.FromString(runId), ct);
        var blob = blobs.Blob(BlobLayout.Artifacts, name);
        var lease = blob.GetBlobLeaseClient();
        try
        {
            await lease.AcquireAsync(LeaseDuration, cancellationToken: ct);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return null;
        }
        var held = new RunLock(blob, lease, holder is not null);
        if (holder is not null)
        {
            try
            {
                await held.NameHolderAsync(holder, ct);
            }
            catch
            {
                await held.DisposeAsync();
                throw;
            }
        }
        return held;
    }

    /// <summary>The message named by the lock's current (or last, if it died holding it) holder; null when none is named.</summary>
    public static async Task<string?> HolderAsync(BlobStore blobs, string runId, string stage, CancellationToken ct)
    {
        try
        {
            var properties = await blobs.Blob(BlobLayout.Artifacts, Blob(runId, stage)).GetPropertiesAsync(cancellationToken: ct);
            return properties.Value.Metadata.TryGetValue(HolderKey, out var h) && h.Length > 0 ? h : null;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    private Task NameHolderAsync(string holder, CancellationToken ct) =>
        _blob.SetMetadataAsync(new Dictionary<string, string> { [HolderKey] = holder }, new BlobRequestConditions { LeaseId = _lease.LeaseId }, ct);

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
        // Unname before letting go: a name left on the lock would make another message for this work look like
        // a duplicate after this holder's message is deleted. If unnaming fails, the failure propagates, so the
        // caller treats the attempt as failed and keeps its message (which then finishes the work).
        Exception? unnaming = null;
        if (_named)
            try { await _blob.SetMetadataAsync(new Dictionary<string, string>(), new BlobRequestConditions { LeaseId = _lease.LeaseId }, CancellationToken.None); }
            catch (Exception e) { unnaming = e; }
        try { await _lease.ReleaseAsync(cancellationToken: CancellationToken.None); } catch (RequestFailedException) { }
        _stop.Dispose();
        if (unnaming is not null) throw new IOException($"could not clear the holder of lock {_blob.Name}: {unnaming.Message.Split('\n', 2)[0]}", unnaming);
    }
}
