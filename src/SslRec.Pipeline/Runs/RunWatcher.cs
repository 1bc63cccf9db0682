namespace SslRec.Pipeline.Runs;

public static class RunWatcher
{
    public static bool IsTerminal(RunState s) => s is RunState.Published or RunState.Rejected or RunState.Failed;

    /// <summary>Polls the run record until it reaches a terminal state, reporting each change.</summary>
    public static async Task<RunRecord> WaitAsync(RunStore runs, string runId, TimeSpan timeout, Action<RunRecord>? changed = null,
        CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        DateTimeOffset seen = default;
        while (true)
        {
            var run = await runs.GetAsync(runId, ct);
            if (run is not null && run.UpdatedAt != seen)
            {
                seen = run.UpdatedAt;
                changed?.Invoke(run);
                if (IsTerminal(run.State)) return run;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"run {runId} did not finish within {timeout.TotalSeconds:F0} s (state {run?.State.ToString() ?? "not created"})");
            await Task.Delay(250, ct);
        }
    }
}
