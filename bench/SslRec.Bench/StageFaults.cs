using System.Diagnostics;
using Azure.Storage.Queues;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Stages;
using SslRec.Pipeline.Storage;

/// <summary>
/// The fault table's second round (issue 24): `kill -9` of `sslrec host` while each stage has a message in
/// flight (recovered by the run watchdog, not by the engine's 10-minute visibility timeout), storage outages
/// of 30 s and 3 minutes with the host and the worker running (they must ride them out), and a training
/// message written by hand as plain JSON.
/// </summary>
sealed class StageFaults(BenchCluster cluster, Func<string, string?, string> drop, Func<string, int, string> lostSummary,
    Func<int> poisoned, TimeSpan limit)
{
    private PipelineContext Ctx => cluster.Context;

    /// <summary>Polls the run's heartbeats until one of <paramref name="stage"/> appears; false if the run got past the stage first.</summary>
    private bool WaitInFlight(string runId, string stage, RunState after)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            if (Ctx.Blobs.ListAsync(BlobLayout.Artifacts, BlobLayout.InFlightPrefix(runId)).GetAwaiter().GetResult()
                .Any(b => b.Name[BlobLayout.InFlightPrefix(runId).Length..].StartsWith(stage + ".", StringComparison.Ordinal))) return true;
            if (Ctx.Runs.GetAsync(runId).GetAwaiter().GetResult() is { } r && (r.State >= after || RunWatcher.IsTerminal(r.State))) return false;
            Thread.Sleep(30);
        }
        return false;
    }

    /// <summary>The function-app stages a host runs, each with the run state that follows it.</summary>
    private static readonly (string Stage, RunState Next)[] HostStages =
    [
        (ShardMapStage.Name, RunState.Reducing), (ShardReduceStage.Name, RunState.Remapping),
        (RemapStage.Name, RunState.Training), (PublishStage.Name, RunState.Published),
    ];

    public IEnumerable<Faults.Row> HostKilledInEachStage()
    {
        foreach (var (stage, next) in HostStages)
        {
            var name = "kill-" + stage;
            var poison = poisoned();
            var host = cluster.Start("host", "host", "--no-train", "--scan-seconds", "0");
            if (stage == PublishStage.Name) cluster.Start("worker", "train-worker", "--loop", "--device", "cpu");
            var run = drop(name, null);
            var caught = WaitInFlight(run, stage, next);
            BenchCluster.Kill9(host);
            var clock = Stopwatch.StartNew();
            cluster.Start("host", "host", "--no-train", "--scan-seconds", "0");
            cluster.WaitRun(run, r => r.State >= next || RunWatcher.IsTerminal(r.State), limit);
            var past = clock.Elapsed.TotalSeconds;
            // Without a train worker (all but the publish row) the run ends its part at Training.
            var done = stage == PublishStage.Name ? cluster.WaitRun(run, r => RunWatcher.IsTerminal(r.State), limit) : cluster.WaitRun(run, _ => true, limit);
            var lost = stage == PublishStage.Name ? lostSummary(name, poison)
                : poisoned() == poison && done.Failures.Count == 0 ? $"nothing (reached {done.State}, 0 poisoned, no failure)" : $"poisoned {poisoned() - poison}, failures {done.Failures.Count}";
            yield return new($"kill -9 host during {stage}",
                $"{done.State}; {(caught ? "killed with a message in flight" : "the stage finished before the kill")}; past {stage} {past:F0} s after the kill; watchdog re-drives: {done.Watchdog?.TotalReDrives ?? 0}",
                past, lost);
            cluster.StopAll();
        }
    }

    /// <summary>
    /// Storage (Azurite) stopped for 30 s and for 3 minutes while each stage works: a host stage as soon as
    /// its heartbeat shows a message in flight (the stages of this small dataset last about a second, so the
    /// row says whether the outage began inside the stage or just after it), training at step 30. The host
    /// and the worker must stay up, and the run must end published with nothing lost.
    /// </summary>
    public IEnumerable<Faults.Row> StorageOutages()
    {
        var stages = HostStages.Take(3).Append((TrainStage.Name, RunState.Evaluated)).Append(HostStages[3]).ToArray();
        foreach (var outage in new[] { 30, 180 })
        foreach (var (stage, next) in stages)
        {
            var name = $"outage-{outage}s-{stage}";
            var poison = poisoned();
            var host = cluster.Start("host", "host", "--no-train", "--scan-seconds", "0");
            var worker = cluster.Start("worker", "train-worker", "--loop", "--device", "cpu");
            var run = drop(name, null);
            var before = stage == TrainStage.Name
                ? cluster.WaitRun(run, r => r.State == RunState.Training && r.Training?.Step >= 30 || RunWatcher.IsTerminal(r.State), limit)
                : null;
            var caught = before is not null ? before.State == RunState.Training : WaitInFlight(run, stage, next);
            var stepAtOutage = before?.Training?.Step ?? 0;
            cluster.RestartStorage(TimeSpan.FromSeconds(outage));
            var alive = !host.HasExited && !worker.HasExited;
            // Recovery: from storage back to the run's next progress (past the stage, or training's next
            // step), not to publication, whose time is mostly training's on a loaded machine.
            var clock = Stopwatch.StartNew();
            cluster.WaitRun(run, r => r.State >= next || RunWatcher.IsTerminal(r.State) || stage == TrainStage.Name && r.Training?.Step > stepAtOutage, limit);
            var recovery = clock.Elapsed.TotalSeconds;
            var done = cluster.WaitRun(run, r => RunWatcher.IsTerminal(r.State), 3 * limit);
            var when = stage == TrainStage.Name ? $"at training step {stepAtOutage}" : caught ? "with a message in flight" : "just after the stage (it finished first)";
            yield return new($"storage down {outage} s during {stage}",
                $"{done.State} after {clock.Elapsed.TotalSeconds:F0} s; down {when}; {(stage == TrainStage.Name ? "training went on" : "past the stage")} {recovery:F0} s after storage was back; host and worker {(alive ? "stayed up" : "EXITED")}; watchdog re-drives: {done.Watchdog?.TotalReDrives ?? 0}",
                recovery, alive ? lostSummary(name, poison) : "a process exited");
            cluster.StopAll();
        }
    }

    public Faults.Row PlainJsonTrainingMessage()
    {
        var poison = poisoned();
        cluster.Start("host", "host", "--no-train", "--scan-seconds", "0");
        var run = drop("plain-json", null);
        cluster.WaitRun(run, r => r.State == RunState.Training, limit);
        var queue = Ctx.Bus.Queue(QueueNames.Train);
        queue.ClearMessagesAsync().GetAwaiter().GetResult();
        // What `az storage message put --content '{…}'` writes: the JSON as it is, not base64.
        new QueueClient(cluster.Azurite.ConnectionString, QueueNames.Train, new QueueClientOptions(StorageSettings.EmulatorQueueVersion))
            .SendMessageAsync($$"""{"v":1,"run":"{{run}}"}""").GetAwaiter().GetResult();
        var clock = Stopwatch.StartNew();
        var worker = cluster.Start("worker", "train-worker", "--loop", "--device", "cpu");
        var done = cluster.WaitRun(run, r => RunWatcher.IsTerminal(r.State), limit);
        var row = new Faults.Row("a training message written by hand as plain JSON",
            $"{done.State}; the worker {(worker.HasExited ? "EXITED" : "stayed up")}", clock.Elapsed.TotalSeconds, lostSummary("plain-json", poison));
        cluster.StopAll();
        return row;
    }
}
