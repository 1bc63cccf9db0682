using System.Globalization;
using SslRec.Pipeline;
using SslRec.Pipeline.Runs;

namespace SslRec.Cli.Commands;

/// <summary>Renders run records for `status` and `demo`.</summary>
public static class RunReport
{
    public static readonly string[] StageOrder = ["drop", "shard-map", "shard-reduce", "remap", "train", "publish"];

    public static string Line(RunRecord r) =>
        $"{r.RunId,-40} {StateText(r),-28} {r.CreatedAt:yyyy-MM-dd HH:mm:ss}  {Recall(r, "all", "50")}";

    /// <summary>
    /// The state, and for a training run where it stands: "Training (queued)" until a train worker takes its
    /// message (a GPU job may take minutes to start), "Training (starting)" while the worker loads the data
    /// and builds the model, then "Training step n/N".
    /// </summary>
    public static string StateText(RunRecord r) => r.State != RunState.Training ? r.State.ToString()
        : r.Training is { } t ? string.Create(CultureInfo.InvariantCulture, $"Training step {t.Step:N0}/{t.TotalSteps:N0}")
        : r.Stages.TryGetValue(Pipeline.Stages.TrainStage.Name, out var stage) && stage.StartedAt is not null ? "Training (starting)"
        : "Training (queued)";

    private static string Recall(RunRecord r, string slice, string k) =>
        r.Recall is not null && r.Recall.TryGetValue(slice, out var s) && s.TryGetValue(k, out var v) ? $"R@{k} {v:F4}" : "";

    public static void PrintDetails(RunRecord r, TextWriter o)
    {
        o.WriteLine($"run      {r.RunId}");
        o.WriteLine($"dataset  {r.Dataset} version {r.DatasetVersion} → model {r.Model} version {r.ModelVersion}");
        o.WriteLine($"state    {StateText(r)} (updated {r.UpdatedAt:HH:mm:ss})");
        if (r.Data is { } d) o.WriteLine($"data     {d.Rows:N0} rows: {d.Train:N0} train, {d.Eval:N0} held out, {d.Items:N0} items, {d.BadRows} bad rows; {r.Shards.Count} map shards");
        if (r.Vocabulary is { } v)
            o.WriteLine($"vocab    {v.Partitions} reduce partition(s) for ≈{v.EstimatedDistinct:N0} distinct values of {string.Join(", ", v.Features)} ({v.BudgetBytes >> 20} MiB each)");
        PrintStages(r, o);
        if (r.Training is { } t)
            o.WriteLine($"training step {t.Step}/{t.TotalSteps}, loss {t.Loss:F4}, {t.ExamplesPerSecond:N0} examples/s" + (t.ResumedFromStep > 0 ? $", resumed from step {t.ResumedFromStep}" : "") +
                        (t.Executions > 1 ? $", execution {t.Executions} (earlier ones stopped at their time budget)" : ""));
        if (r.Recall is not null) PrintRecall(r.Recall, o);
        if (r.Gate is { } g) o.WriteLine($"gate     {(g.Passed ? "passed" : "failed")}: {g.Reason}");
        if (r.Watchdog is { } w)
            o.WriteLine($"watchdog re-drove it {w.TotalReDrives} time{(w.TotalReDrives == 1 ? "" : "s")}; last at {w.LastAt:HH:mm:ss}: {w.LastAction}");
        foreach (var f in r.Failures) o.WriteLine($"failure  [{f.At:HH:mm:ss}] {f.Stage}: {f.Message}");
    }

    public static void PrintStages(RunRecord r, TextWriter o)
    {
        foreach (var stage in StageOrder)
            if (r.Stages.TryGetValue(stage, out var t))
                o.WriteLine($"  {stage,-13} {(t.Seconds is { } s ? s.ToString("F1", CultureInfo.InvariantCulture) + " s" : Unfinished(r, stage)),10}  ({t.Attempts} message{(t.Attempts == 1 ? "" : "s")} handled" +
                            (t.WorkSeconds is { } w ? $", {w.ToString("F1", CultureInfo.InvariantCulture)} s of work" : "") +
                            (t.PeakMemoryMiB is { } m ? $", peak {m.ToString("F0", CultureInfo.InvariantCulture)} MiB" : "") + ")");
    }

    /// <summary>A stage without a finish time is running, unless the run has ended: then it is where the run failed.</summary>
    private static string Unfinished(RunRecord r, string stage) =>
        !RunWatcher.IsTerminal(r.State) ? "running" : r.Failures.Any(f => f.Stage == stage) ? "failed" : "stopped";

    /// <summary>A message that exhausted its attempts: queue, when, the run it named, and why.</summary>
    public static string Rejected(PoisonRecord p) =>
        $"{p.At:yyyy-MM-dd HH:mm:ss}  {p.Queue,-20} {(p.RunId is null ? "(no run)" : "run " + PoisonRecorder.Cap(p.RunId, 60)),-30} {PoisonRecorder.Cap(p.Error.Split('\n', 2)[0])}";

    public static void PrintRecall(Dictionary<string, Dictionary<string, double>> recall, TextWriter o)
    {
        o.WriteLine($"{"slice",-6} {"R@10",8} {"R@50",8} {"R@100",8}");
        foreach (var slice in new[] { "all", "head", "tail" })
            if (recall.TryGetValue(slice, out var s))
                o.WriteLine($"{slice,-6} {s.GetValueOrDefault("10"),8:F4} {s.GetValueOrDefault("50"),8:F4} {s.GetValueOrDefault("100"),8:F4}");
    }
}
