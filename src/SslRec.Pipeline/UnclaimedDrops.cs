using SslRec.Pipeline.Stages;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline;

/// <summary>
/// Finds dataset versions whose _READY marker exists but that no run has claimed (for example uploaded
/// while no host was running, or where no Event Grid subscription exists) and enqueues their drop event.
/// </summary>
public static class UnclaimedDrops
{
    public static async Task<List<string>> EnqueueAsync(PipelineContext ctx, CancellationToken ct = default)
    {
        var started = new List<string>();
        foreach (var blob in await ctx.Blobs.ListAsync(BlobLayout.Datasets, "", ct))
        {
            if (!BlobLayout.TryParseReady(blob.Name, out var dataset, out var version)) continue;
            if (await ctx.Runs.GetAsync($"{dataset}.{version}", ct) is not null) continue;
            var uri = ctx.Blobs.Blob(BlobLayout.Datasets, blob.Name).Uri;
            await ctx.Bus.SendTextAsync(QueueNames.Drop, DropEvents.BuildBlobCreated(uri, BlobLayout.Datasets, blob.Name, blob.Properties.ContentLength ?? 0), ct);
            started.Add($"{dataset}.{version}");
        }
        return started;
    }
}
