using SslRec.Pipeline;
using SslRec.Pipeline.Storage;

namespace SslRec.LocalHost;

/// <summary>
/// `sslrec host`'s stand-in for Event Grid: enqueues _READY versions no run has claimed
/// (<see cref="UnclaimedDrops"/>) at start and then at a fixed interval, until cancelled. A scan that fails
/// is reported and the next one tries again, so the loop lives as long as the host.
/// </summary>
public static class UnclaimedDropScanLoop
{
    /// <param name="every">the pause between scans; zero or less: scan only at start</param>
    /// <param name="log">one line per version picked up or refused, and per failed scan</param>
    public static async Task RunAsync(PipelineContext ctx, TimeSpan every, Action<string> log, CancellationToken cancel)
    {
        do
        {
            try
            {
                var found = await UnclaimedDrops.ScanAsync(ctx, cancel);
                foreach (var run in found.Enqueued) log($"picked up unclaimed dataset version: {run}");
                foreach (var refused in found.Refused) log($"refused (not processed; listed by `sslrec status`): {refused}");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Storage unreachable (StorageOutageLog says so once) or a listing that failed: the next scan tries again.
                if (!StorageResilience.IsUnreachable(e)) log($"host: scan for unclaimed datasets failed: {e.Message.Split('\n', 2)[0]}");
            }
            await Task.Delay(every > TimeSpan.Zero ? every : Timeout.InfiniteTimeSpan, cancel);
        } while (true);
    }
}
