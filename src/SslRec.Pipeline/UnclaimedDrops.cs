using SslRec.Pipeline.Stages;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline;

/// <summary>
/// Finds dataset versions whose _READY marker exists but that no run has claimed (for example uploaded
/// while no host was running, or where no Event Grid subscription exists) and enqueues their drop event.
/// A _READY whose path breaks the naming rule is recorded as refused (<see cref="RejectedNames"/>, once)
/// instead, exactly as the drop stage would record its event.
/// </summary>
public static class UnclaimedDrops
{
    /// <summary>What one scan did: the runs it asked for, and the _READY blobs it refused (newly recorded ones only).</summary>
    public sealed record ScanResult(List<string> Enqueued, List<string> Refused);

    public static async Task<ScanResult> ScanAsync(PipelineContext ctx, CancellationToken ct = default)
    {
        var result = new ScanResult([], []);
        foreach (var blob in await ctx.Blobs.ListAsync(BlobLayout.Datasets, "", ct))
        {
            if (BlobLayout.ParseReady(blob.Name) is not { } ready) continue;
            if (!ready.IsValid)
            {
                var subject = $"{BlobLayout.Datasets}/{ready.Blob}";
                if (await RejectedNames.RecordAsync(ctx, QueueNames.Drop, subject, ready.Problem!, $"found by the unclaimed-drop scan: {subject}", ct))
                    result.Refused.Add($"{subject}: {ready.Problem}");
                continue;
            }
            if (await ctx.Runs.FindDropRunAsync(ready.Dataset, ready.Version, ct) is not null) continue;
            var uri = ctx.Blobs.Blob(BlobLayout.Datasets, blob.Name).Uri;
            await ctx.Bus.SendTextAsync(QueueNames.Drop, DropEvents.BuildBlobCreated(uri, BlobLayout.Datasets, blob.Name, blob.Properties.ContentLength ?? 0), ct);
            result.Enqueued.Add(DatasetNames.RunId(ready.Dataset, ready.Version));
        }
        return result;
    }

    /// <summary>The runs one scan asked for (refused names are recorded, see <see cref="ScanAsync"/>).</summary>
    public static async Task<List<string>> EnqueueAsync(PipelineContext ctx, CancellationToken ct = default) => (await ScanAsync(ctx, ct)).Enqueued;
}
