using Microsoft.Extensions.Logging;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Runs;

/// <summary>
/// A stage's heartbeat for one message of a run: runs/{run}/inflight/{stage}.{message id}.json, written when
/// the stage starts, rewritten every <see cref="Beat"/> while it runs and deleted when it ends. A killed
/// process stops beating, so "no marker newer than a minute" means nothing works on the run, and the run
/// watchdog may re-drive it without racing a live stage (the engine hides a killed host's message for 10
/// minutes). Best effort: a marker that cannot be written never fails the stage.
/// </summary>
public static class InFlight
{
    public static readonly TimeSpan Beat = TimeSpan.FromSeconds(15);

    /// <summary>What a marker says: which stage, for which message, since when, where.</summary>
    public sealed record Marker(string Stage, string MessageId, string Detail, DateTimeOffset Since, string Host);

    public static async Task RunAsync(PipelineContext ctx, string runId, string stage, string messageId, string detail, Func<Task> work)
    {
        var name = BlobLayout.InFlight(runId, stage, messageId);
        var marker = new Marker(stage, messageId, detail, DateTimeOffset.UtcNow, Environment.MachineName);
        using var stop = new CancellationTokenSource();
        var beating = BeatAsync(ctx, name, marker, stop.Token);
        try
        {
            await work();
        }
        finally
        {
            await stop.CancelAsync();
            await beating;
            try { await ctx.Blobs.Container(BlobLayout.Artifacts).DeleteBlobIfExistsAsync(name); }
            catch (Exception e) { ctx.Logger.LogDebug("{Stage}: could not remove heartbeat {Blob}: {Error}", stage, name, e.Message); }
        }
    }

    private static async Task BeatAsync(PipelineContext ctx, string name, Marker marker, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await ctx.Blobs.WriteJsonAsync(BlobLayout.Artifacts, name, marker, stop);
                await Task.Delay(Beat, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                ctx.Logger.LogDebug("{Stage}: heartbeat {Blob} not written: {Error}", marker.Stage, name, e.Message);
                try { await Task.Delay(Beat, stop); } catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>How long after its last beat a marker counts as live: three beats, so one or two slow writes do not make a live stage look dead.</summary>
    public static readonly TimeSpan Lifetime = 3 * Beat;

    /// <summary>The run's markers that beat within <paramref name="fresh"/> (at least <see cref="Lifetime"/>; by the storage clock's last-modified time).</summary>
    public static async Task<List<Marker>> LiveAsync(PipelineContext ctx, string runId, TimeSpan fresh, CancellationToken ct)
    {
        if (fresh < Lifetime) fresh = Lifetime;
        var live = new List<Marker>();
        foreach (var blob in await ctx.Blobs.ListAsync(BlobLayout.Artifacts, BlobLayout.InFlightPrefix(runId), ct))
        {
            if (blob.Properties.LastModified is not { } modified || DateTimeOffset.UtcNow - modified > fresh) continue;
            if (await ctx.Blobs.TryReadJsonAsync<Marker>(BlobLayout.Artifacts, blob.Name, ct) is { } m) live.Add(m);
        }
        return live;
    }
}
