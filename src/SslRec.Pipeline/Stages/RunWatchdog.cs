using Microsoft.Extensions.Logging;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// Re-drives runs that stopped moving: a run not yet published, rejected or failed whose record has not
/// changed for <see cref="PipelineOptions.WatchdogStallSeconds"/> and for which no stage beats a heartbeat
/// (<see cref="InFlight"/>) gets its current stage's outstanding messages again — stages are idempotent,
/// so a message that was only slow costs a no-op. This is what recovers a host killed mid-stage (the
/// engine hides its in-flight message for 10 minutes) and a message storage lost. A run re-driven
/// <see cref="PipelineOptions.WatchdogMaxReDrives"/> times in a row without progress is failed, naming the
/// stage: its process keeps dying there (out of memory, a crash), and retrying forever helps nobody.
/// Runs in the local host every 15 s and as a timer function in the Functions app.
/// </summary>
public sealed class RunWatchdog(PipelineContext ctx)
{
    public const string Name = "watchdog";
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    private TimeSpan Stall => TimeSpan.FromSeconds(ctx.Options.WatchdogStallSeconds);

    /// <summary>One pass over the active runs; returns a line per run it re-drove or failed.</summary>
    public async Task<List<string>> CheckAsync(CancellationToken ct = default)
    {
        var actions = new List<string>();
        foreach (var runId in await ctx.Runs.ListActiveAsync(ct))
        {
            var run = await ctx.Runs.GetAsync(runId, ct);
            if (run is null) continue; // listed a moment before its record is written
            if (RunWatcher.IsTerminal(run.State))
            {
                await ctx.Runs.ForgetActiveAsync(runId, ct);
                continue;
            }
            if (DateTimeOffset.UtcNow - run.UpdatedAt < Stall) continue;
            if ((await InFlight.LiveAsync(ctx, runId, Stall, ct)).Count > 0) continue;
            if (await ReDriveAsync(run, ct) is { } action) actions.Add(action);
        }
        return actions;
    }

    private async Task<string?> ReDriveAsync(RunRecord run, CancellationToken ct)
    {
        var stage = StageOf(run.State);
        // Progress is finished work (state, shards mapped, parts remapped, training step), not a record update:
        // a stage that records its start and then dies every time must still count as stuck.
        var progress = await ProgressAsync(run, ct);
        var inARow = run.Watchdog is { } w && w.LastProgress == progress ? w.ReDrives : 0;
        if (inARow >= ctx.Options.WatchdogMaxReDrives)
        {
            var reason = $"no progress in stage {stage} after {inARow} re-drives by the watchdog (its process keeps stopping without an error: out of memory, killed, or crashed)";
            await ctx.Runs.FailRunAsync(run.RunId, stage, reason, ct);
            ctx.Logger.LogError("watchdog: run {Run} failed: {Reason}", run.RunId, reason);
            return $"run {run.RunId}: failed ({reason})";
        }

        var action = await SendOutstandingAsync(run, ct);
        if (action is null) return null;
        await ctx.Runs.UpdateAsync(run.RunId, r =>
        {
            r.Watchdog ??= new WatchdogRecord();
            r.Watchdog.ReDrives = inARow + 1;
            r.Watchdog.TotalReDrives++;
            r.Watchdog.LastAt = DateTimeOffset.UtcNow;
            r.Watchdog.LastAction = action;
            r.Watchdog.LastProgress = progress;
        }, ct);
        ctx.Logger.LogWarning("watchdog: run {Run} ({State}) made no progress for {Seconds:F0} s with nothing working on it; {Action}",
            run.RunId, run.State, (DateTimeOffset.UtcNow - run.UpdatedAt).TotalSeconds, action);
        return $"run {run.RunId}: {action}";
    }

    private async Task<string> ProgressAsync(RunRecord run, CancellationToken ct)
    {
        var done = run.State switch
        {
            RunState.Planned or RunState.Mapping => (await ctx.Blobs.ListAsync(BlobLayout.Artifacts, BlobLayout.ShardPrefix(run.RunId), ct))
                .Count(b => b.Name.EndsWith(BlobLayout.ShardVocabularySuffix, StringComparison.Ordinal)),
            // each vocabulary partition done is progress (a reduce of many partitions takes longer than the stall time)
            RunState.Reducing => (await ctx.Blobs.ListAsync(BlobLayout.Artifacts, BlobLayout.VocabularyPrefix(run.RunId), ct)).Count,
            RunState.Remapping => (await ctx.Blobs.ListAsync(BlobLayout.Artifacts, BlobLayout.PartPrefix(run.RunId), ct)).Count,
            RunState.Training => run.Training?.Step ?? 0,
            _ => 0,
        };
        return $"{run.State}:{done}";
    }

    /// <summary>The stage a run in this state waits for (the stage that would be failed).</summary>
    public static string StageOf(RunState state) => state switch
    {
        RunState.Planned => DropStage.Name,
        RunState.Mapping => ShardMapStage.Name,
        RunState.Reducing => ShardReduceStage.Name,
        RunState.Remapping => RemapStage.Name,
        RunState.Training => TrainStage.Name,
        _ => PublishStage.Name,
    };

    /// <summary>Sends what the run's current stage still needs; returns what it sent, or null when nothing is missing.</summary>
    private async Task<string?> SendOutstandingAsync(RunRecord run, CancellationToken ct)
    {
        switch (run.State)
        {
            case RunState.Planned when run.Shards.Count == 0:
                // Killed while planning: plan again (a run in Planned is re-planned, never duplicated).
                await new DropStage(ctx).StartRunAsync(run.Dataset, run.DatasetVersion, run.RunId, run.ModelVersion, run.Overrides, run.WarmStart, ct);
                return "planned its map tasks again";
            case RunState.Planned or RunState.Mapping:
            {
                var done = (await ctx.Blobs.ListAsync(BlobLayout.Artifacts, BlobLayout.ShardPrefix(run.RunId), ct)).Select(b => b.Name).ToHashSet(StringComparer.Ordinal);
                var missing = run.Shards.Where(s => !done.Contains(BlobLayout.ShardVocabulary(run.RunId, s.Index))).ToList();
                // Every shard mapped but no reduce asked for: one shard's message repeats the completion check.
                foreach (var s in missing.Count > 0 ? missing : run.Shards.Take(1))
                    await ctx.Bus.SendAsync(QueueNames.ShardMap, ShardMapMessage.For(run.RunId, s), ct);
                return missing.Count > 0 ? $"re-sent {missing.Count} map task(s) ({string.Join(", ", missing.Take(10).Select(s => s.Index))})" : "re-sent a map task to ask for the reduce";
            }
            case RunState.Reducing:
                await ctx.Bus.SendAsync(QueueNames.ShardReduce, new ShardReduceMessage { RunId = run.RunId }, ct);
                return "re-sent the reduce";
            case RunState.Remapping:
            {
                var pending = await RemapStage.PendingShardsAsync(ctx, run, ct);
                foreach (var s in pending.Count > 0 ? pending : run.Shards.Where(s => !s.Catalog).Take(1))
                    await ctx.Bus.SendAsync(QueueNames.Remap, new RemapMessage { RunId = run.RunId, Index = s.Index }, ct);
                return pending.Count > 0 ? $"re-sent {pending.Count} remap task(s)" : "re-sent a remap task to ask for training";
            }
            case RunState.Training:
                // A training message waiting for a GPU execution is not stuck; nor is a run whose lock is held.
                if (await TrainingQueuedAsync(run.RunId, ct) || await TrainLockHeldAsync(run.RunId, ct)) return null;
                await ctx.Bus.SendAsync(QueueNames.Train, new TrainMessage { RunId = run.RunId }, ct);
                return "re-sent the training message";
            case RunState.Evaluated or RunState.Publishing:
                await ctx.Bus.SendAsync(QueueNames.Publish, new PublishMessage { RunId = run.RunId }, ct);
                return "re-sent the publish request";
            default:
                return null;
        }
    }

    /// <summary>What an unfinished run is waiting for, in one line (`sslrec status --run`); null for a finished run.</summary>
    public async Task<string?> DescribeWaitAsync(RunRecord run, CancellationToken ct = default)
    {
        if (RunWatcher.IsTerminal(run.State)) return null;
        var live = await InFlight.LiveAsync(ctx, run.RunId, Stall, ct);
        var working = live.Count == 0 ? "nothing is working on it"
            : $"{live.Count} message(s) in flight ({string.Join(", ", live.Select(m => $"{m.Stage} on {m.Host} since {m.Since:HH:mm:ss}").Take(3))})";
        var progress = await ProgressAsync(run, ct);
        var done = int.Parse(progress[(progress.IndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var what = run.State switch
        {
            RunState.Planned => "its map tasks to be planned",
            RunState.Mapping => $"map shards: {done} of {run.Shards.Count} done",
            RunState.Reducing => "the vocabulary reduce",
            RunState.Remapping => $"remap: {done} of {run.Shards.Count(s => !s.Catalog)} parts done",
            RunState.Training when live.Count == 0 && await TrainingQueuedAsync(run.RunId, ct) => "a training worker to take its queued message (a GPU job execution starting)",
            RunState.Training => run.Training is { } t ? $"training: step {t.Step}/{t.TotalSteps}, execution {t.Executions}" : "training to start",
            _ => "publishing",
        };
        var quiet = DateTimeOffset.UtcNow - run.UpdatedAt;
        var watchdog = live.Count > 0 || quiet < Stall ? ""
            : $"; no progress for {quiet.TotalSeconds:F0} s: the watchdog re-drives it (every {ctx.Options.WatchdogStallSeconds:F0} s without progress)";
        return $"{what}; {working}{watchdog}";
    }

    /// <summary>Whether a visible message on the training queue names the run (the first 32 are looked at).</summary>
    private async Task<bool> TrainingQueuedAsync(string runId, CancellationToken ct)
    {
        var peeked = (await ctx.Bus.ReceivingQueue(QueueNames.Train).PeekMessagesAsync(32, ct)).Value;
        return peeked.Any(m => PoisonRecorder.TryRunId(QueueText.Decode(m.Body.ToString())) == runId);
    }

    private async Task<bool> TrainLockHeldAsync(string runId, CancellationToken ct)
    {
        try
        {
            var properties = await ctx.Blobs.Blob(BlobLayout.Artifacts, RunLock.Blob(runId, TrainStage.Name)).GetPropertiesAsync(cancellationToken: ct);
            return properties.Value.LeaseState == Azure.Storage.Blobs.Models.LeaseState.Leased;
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }
}
