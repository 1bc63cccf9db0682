using System.Diagnostics;

namespace SslRec.Pipeline.Runs;

/// <summary>
/// Measures one stage message: its wall time and the peak working set of the process while it ran
/// (sampled every 50 ms; in a host that runs several messages at once the process is shared, so the
/// figure is an upper bound for the stage). Recorded on the run record's stage, so `sslrec status --run`
/// shows what each stage cost — the numbers that decide the function app's instance size.
/// </summary>
public sealed class StageMeter : IDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Timer _timer;
    private long _peak = Environment.WorkingSet;

    private StageMeter() => _timer = new Timer(_ => Sample(), null, 50, 50);

    public static StageMeter Start() => new();

    private void Sample()
    {
        var now = Environment.WorkingSet;
        long seen;
        while (now > (seen = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, seen) != seen) { }
    }

    /// <summary>
    /// Adds this message's time and peak to the stage of the run (when the run and the stage exist). Best
    /// effort: a measurement never fails the stage it measured (e.g. run-record contention in a wide fan-out).
    /// </summary>
    public async Task RecordAsync(RunStore runs, string? runId, string stage, CancellationToken ct)
    {
        try
        {
            await TryRecordAsync(runs, runId, stage, ct);
        }
        catch (Azure.RequestFailedException)
        {
            // the stage's own writes succeeded; only its cost figures are missing from the record
        }
    }

    private async Task TryRecordAsync(RunStore runs, string? runId, string stage, CancellationToken ct)
    {
        Sample();
        _timer.Dispose();
        if (runId is null) return;
        var seconds = _clock.Elapsed.TotalSeconds;
        var peakMiB = Interlocked.Read(ref _peak) / (1024.0 * 1024.0);
        await runs.TryUpdateAsync(runId, r =>
        {
            if (!r.Stages.TryGetValue(stage, out var t)) return false; // a duplicate message that did no work
            t.WorkSeconds = Math.Round((t.WorkSeconds ?? 0) + seconds, 3);
            t.PeakMemoryMiB = Math.Round(Math.Max(t.PeakMemoryMiB ?? 0, peakMiB), 1);
            return true;
        }, ct);
    }

    public void Dispose() => _timer.Dispose();
}
