using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using SslRec.Core.Synthetic;
using SslRec.Pipeline;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Stages;
using SslRec.Pipeline.Storage;

/// <summary>
/// `faults`: the fault table of bench/faults.sh. Runs the real `sslrec host` / `sslrec train-worker`
/// processes against an Azurite with on-disk data, injects each fault (kill -9 of a process, re-delivered
/// messages, a repeated _READY, bad inputs, Azurite stopped and restarted), and records per row the outcome,
/// the time to recover and what was lost (publishes and notifications are counted: exactly one is right).
/// </summary>
static class Faults
{
    internal sealed record Row(string Fault, string Outcome, double RecoverySeconds, string Lost);

    /// <param name="only">"round2": only the second round's rows (host killed in each stage, a plain-JSON training message);
    /// "outages": only storage down 30 s and 3 minutes in each stage</param>
    public static int Run(string sslrec, string dataDir, string workDir, string? jsonPath, string? only = null)
    {
        using var cluster = new BenchCluster(sslrec, workDir, new Dictionary<string, string>
        {
            ["SslRec__Pipeline__CheckpointEvery"] = "25", ["SslRec__Pipeline__ShardTargetBytes"] = "400000",
        });
        var ctx = cluster.Context;
        string Drop(string dataset, string? folder = null) => DatasetDrop.UploadAsync(ctx, folder ?? dataDir, dataset, "v1").GetAwaiter().GetResult().RunId;
        int Publishes(string model) => ctx.Blobs.ListAsync(BlobLayout.Embeddings, model + "/").GetAwaiter().GetResult().Count(b => b.Name.EndsWith("/manifest.json"));
        int Notifications(string model)
        {
            var peeked = ctx.Bus.Queue(QueueNames.Published).PeekMessagesAsync(32).GetAwaiter().GetResult().Value;
            return peeked.Count(m => QueueText.Decode(m.Body.ToString()).Contains($"\"model\":\"{model}\"", StringComparison.Ordinal));
        }
        int Poisoned() => PoisonRecorder.ListAsync(ctx).GetAwaiter().GetResult().Count;
        string LostSummary(string model, int poisonBefore)
        {
            var (publishes, notifications, poisoned) = (Publishes(model), Notifications(model), Poisoned() - poisonBefore);
            return publishes == 1 && notifications == 1 && poisoned == 0 ? "nothing (1 publish, 1 notification, 0 poisoned)"
                : $"publishes {publishes}, notifications {notifications}, poisoned messages {poisoned}";
        }
        bool Training(RunRecord r, int atLeast) => r.State == RunState.Training && r.Training?.Step >= atLeast;
        var rows = new List<Row>();
        // generous: on a shared, loaded machine one training takes minutes (BENCH_FAULT_LIMIT_MINUTES raises it)
        var limit = TimeSpan.FromMinutes(double.TryParse(Environment.GetEnvironmentVariable("BENCH_FAULT_LIMIT_MINUTES"), out var minutes) ? minutes : 8);

        try
        {
            if (only == "round2")
            {
                var second = new StageFaults(cluster, Drop, LostSummary, Poisoned, limit);
                rows.AddRange(second.HostKilledInEachStage());
                rows.Add(second.PlainJsonTrainingMessage());
                goto report;
            }
            if (only == "outages")
            {
                rows.AddRange(new StageFaults(cluster, Drop, LostSummary, Poisoned, limit).StorageOutages());
                goto report;
            }
            // 1. kill -9 of train-worker mid-training; a new execution starts at once (as KEDA starts one).
            {
                var poison = Poisoned();
                cluster.Start("host", "host", "--no-train", "--scan-seconds", "0");
                var run = Drop("kill-worker");
                var worker = cluster.Start("worker", "train-worker", "--loop", "--device", "cpu");
                var step = cluster.WaitRun(run, r => Training(r, 60), limit).Training!.Step;
                BenchCluster.Kill9(worker);
                var clock = Stopwatch.StartNew();
                cluster.Start("worker", "train-worker", "--loop", "--device", "cpu");
                var resumed = cluster.WaitRun(run, r => r.Stages["train"].Attempts >= 2, limit);
                var pickup = clock.Elapsed.TotalSeconds;
                var done = cluster.WaitRun(run, r => RunWatcher.IsTerminal(r.State), limit);
                rows.Add(new($"kill -9 train-worker at step {step}", $"{done.State}, resumed from step {done.Training?.ResumedFromStep}; next worker took the message after {pickup:F0} s",
                    clock.Elapsed.TotalSeconds, LostSummary("kill-worker", poison)));
                cluster.StopAll();
            }
            // 2. kill -9 of the host (which trains) mid-training, restarted at once.
            {
                var poison = Poisoned();
                var host = cluster.Start("host", "host", "--scan-seconds", "0", "--device", "cpu");
                var run = Drop("kill-host");
                var step = cluster.WaitRun(run, r => Training(r, 60), limit).Training!.Step;
                BenchCluster.Kill9(host);
                var clock = Stopwatch.StartNew();
                cluster.Start("host", "host", "--scan-seconds", "0", "--device", "cpu");
                cluster.WaitRun(run, r => r.Stages["train"].Attempts >= 2, limit);
                var pickup = clock.Elapsed.TotalSeconds;
                var done = cluster.WaitRun(run, r => RunWatcher.IsTerminal(r.State), limit);
                rows.Add(new($"kill -9 host (training) at step {step}", $"{done.State}, resumed from step {done.Training?.ResumedFromStep}; restarted host took the message after {pickup:F0} s",
                    clock.Elapsed.TotalSeconds, LostSummary("kill-host", poison)));
                cluster.StopAll();
            }
            // 3. Every message type delivered again after the run was published, and the same _READY event twice.
            {
                var poison = Poisoned();
                cluster.Start("host", "host", "--no-train", "--scan-seconds", "0");
                cluster.Start("worker", "train-worker", "--loop", "--device", "cpu");
                var run = Drop("redeliver");
                var ready = ctx.Blobs.Blob(BlobLayout.Datasets, BlobLayout.ReadyBlob("redeliver", "v1"));
                var readyEvent = DropEvents.BuildBlobCreated(ready.Uri, BlobLayout.Datasets, BlobLayout.ReadyBlob("redeliver", "v1"), 6);
                ctx.Bus.SendTextAsync(QueueNames.Drop, readyEvent).GetAwaiter().GetResult(); // the same _READY twice
                var published = cluster.WaitRun(run, r => RunWatcher.IsTerminal(r.State), limit);
                var clock = Stopwatch.StartNew();
                ctx.Bus.SendTextAsync(QueueNames.Drop, readyEvent).GetAwaiter().GetResult();
                ctx.Bus.SendAsync(QueueNames.ShardMap, ShardMapMessage.For(run, published.Shards[0])).GetAwaiter().GetResult();
                ctx.Bus.SendAsync(QueueNames.ShardReduce, new ShardReduceMessage { RunId = run }).GetAwaiter().GetResult();
                ctx.Bus.SendAsync(QueueNames.Remap, new RemapMessage { RunId = run, Index = published.Shards.First(s => !s.Catalog).Index }).GetAwaiter().GetResult();
                ctx.Bus.SendAsync(QueueNames.Train, new TrainMessage { RunId = run }).GetAwaiter().GetResult();
                ctx.Bus.SendAsync(QueueNames.Publish, new PublishMessage { RunId = run }).GetAwaiter().GetResult();
                var drained = new[] { QueueNames.Drop, QueueNames.ShardMap, QueueNames.ShardReduce, QueueNames.Remap, QueueNames.Train, QueueNames.Publish };
                while (drained.Any(q => ctx.Bus.Queue(q).GetPropertiesAsync().GetAwaiter().GetResult().Value.ApproximateMessagesCount > 0) && clock.Elapsed < limit) Thread.Sleep(250);
                Thread.Sleep(3000); // let the last handler finish
                var after = ctx.Runs.RequireAsync(run).GetAwaiter().GetResult();
                var runs = ctx.Runs.ListAsync().GetAwaiter().GetResult().Count(r => r.Dataset == "redeliver");
                rows.Add(new("same _READY twice; then drop, map, reduce, remap, train and publish messages re-delivered", $"{after.State} (was {published.State}); {runs} run(s) for the dataset",
                    clock.Elapsed.TotalSeconds, LostSummary("redeliver", poison)));
                cluster.StopAll();
            }
            // 4. Bad inputs: each ends its run as failed, naming the file.
            {
                cluster.Start("host", "host", "--no-train", "--scan-seconds", "0");
                foreach (var (name, make) in BadInputs(dataDir, workDir))
                {
                    var clock = Stopwatch.StartNew();
                    var run = Drop(name, make());
                    var done = cluster.WaitRun(run, r => RunWatcher.IsTerminal(r.State), limit);
                    rows.Add(new($"bad input: {name}", $"{done.State}: {done.Failures.LastOrDefault()?.Message}", clock.Elapsed.TotalSeconds,
                        done.State == RunState.Failed && Publishes(name) == 0 ? "nothing published (as it must be)" : "PUBLISHED BAD DATA"));
                }
                cluster.StopAll();
            }
            // 5–7. Round two: kill -9 of the host in each stage, storage outages of 30 s and 3 min, a hand-written training message.
            var more = new StageFaults(cluster, Drop, LostSummary, Poisoned, limit);
            rows.AddRange(more.HostKilledInEachStage());
            rows.AddRange(more.StorageOutages());
            rows.Add(more.PlainJsonTrainingMessage());
            // 8. Azurite stopped for 20 s mid-training, then started again on the same data.
            {
                var poison = Poisoned();
                cluster.Start("host", "host", "--no-train", "--scan-seconds", "0");
                cluster.Start("worker", "train-worker", "--loop", "--device", "cpu");
                var run = Drop("storage-outage");
                var step = cluster.WaitRun(run, r => Training(r, 60), limit).Training!.Step;
                cluster.RestartStorage(TimeSpan.FromSeconds(20));
                var clock = Stopwatch.StartNew();
                var done = cluster.WaitRun(run, r => RunWatcher.IsTerminal(r.State), limit);
                var how = done.Training?.ResumedFromStep is > 0 and var from ? $"resumed from step {from}" : "training went on (its storage calls were retried until Azurite was back)";
                rows.Add(new($"Azurite stopped 20 s at training step {step}, restarted", $"{done.State}; {how}",
                    clock.Elapsed.TotalSeconds, LostSummary("storage-outage", poison)));
                cluster.StopAll();
            }
            // 6. Names: two datasets whose names used to join into one run id ("col.a"+"v1", "col"+"a.v1": both
            //    were run col.a.v1), and a _READY uploaded without the CLI under a name the CLI refuses.
            {
                var poison = Poisoned();
                var small = Path.Combine(workDir, "names-data"); // names are the point here, not training time
                SyntheticGenerator.Generate(small, new SyntheticOptions { Interactions = 3000, Items = 100, Seed = 5 });
                cluster.Start("host", "host", "--scan-seconds", "2");
                var clock = Stopwatch.StartNew();
                var first = DatasetDrop.UploadAsync(ctx, small, "col.a", "v1").GetAwaiter().GetResult().RunId;
                var second = DatasetDrop.UploadAsync(ctx, small, "col", "a.v1").GetAwaiter().GetResult().RunId;
                var a = cluster.WaitRun(first, r => RunWatcher.IsTerminal(r.State), limit);
                var b = cluster.WaitRun(second, r => RunWatcher.IsTerminal(r.State), limit);
                var (lostA, lostB) = (LostSummary("col.a", poison), LostSummary("col", poison));
                rows.Add(new("two datasets whose names joined into one run id before (col.a/v1 and col/a.v1)", $"{a.RunId}: {a.State}; {b.RunId}: {b.State}",
                    clock.Elapsed.TotalSeconds, lostA == lostB && lostA.StartsWith("nothing", StringComparison.Ordinal) ? $"{lostA}, each" : $"col.a: {lostA}; col: {lostB}"));

                clock.Restart();
                foreach (var f in Directory.GetFiles(small)) ctx.Blobs.UploadFileAsync(BlobLayout.Datasets, $"my data/v1/{Path.GetFileName(f)}", f).GetAwaiter().GetResult();
                ctx.Blobs.UploadAsync(BlobLayout.Datasets, "my data/v1/" + BlobLayout.ReadyMarker, BinaryData.FromString("")).GetAwaiter().GetResult();
                PoisonRecord? refused = null;
                while (refused is null && clock.Elapsed < limit)
                {
                    Thread.Sleep(500);
                    refused = PoisonRecorder.ListAsync(ctx).GetAwaiter().GetResult().FirstOrDefault(p => p.Error.Contains("datasets/my data/v1/_READY", StringComparison.Ordinal));
                }
                var processed = ctx.Runs.ListAsync().GetAwaiter().GetResult().Count(r => r.Dataset == "my data");
                rows.Add(new("a _READY uploaded without the CLI under the name 'my data'", refused is null ? "not refused within the limit" : refused.Error,
                    clock.Elapsed.TotalSeconds, refused is not null && processed == 0 ? "nothing processed (as it must be); listed by `sslrec status`" : $"PROCESSED: {processed} run(s)"));
                cluster.StopAll();
            }
        }
        finally
        {
            cluster.StopAll();
        }

        report:
        Console.WriteLine("| fault | outcome | recovery (s) | lost |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var r in rows) Console.WriteLine($"| {r.Fault} | {r.Outcome} | {r.RecoverySeconds:F1} | {r.Lost} |");
        if (jsonPath is not null) File.WriteAllText(jsonPath, JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
        var bad = rows.Count(r => r.Lost.Contains("PUBLISHED", StringComparison.Ordinal) || (!r.Lost.StartsWith("nothing", StringComparison.Ordinal)));
        Console.WriteLine($"faults with something lost or duplicated: {bad} of {rows.Count}");
        return bad == 0 ? 0 : 1;
    }

    /// <summary>Dataset folders with one broken interactions file each.</summary>
    private static IEnumerable<(string Name, Func<string> Make)> BadInputs(string dataDir, string workDir)
    {
        string Variant(string name, Action<string> breakIt)
        {
            var dir = Path.Combine(workDir, name);
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            Directory.CreateDirectory(dir);
            foreach (var f in Directory.GetFiles(dataDir)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            breakIt(Path.Combine(dir, "interactions.csv"));
            return dir;
        }
        yield return ("truncated-gzip", () => Variant("truncated-gzip", csv =>
        {
            using var buffer = new MemoryStream();
            using (var gz = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(File.ReadAllBytes(csv));
            File.WriteAllBytes(csv + ".gz", buffer.ToArray()[..(int)(buffer.Length * 2 / 3)]);
            File.Delete(csv);
        }));
        yield return ("random-bytes-gzip", () => Variant("random-bytes-gzip", csv =>
        {
            var noise = new byte[100_000];
            new Random(1).NextBytes(noise);
            File.WriteAllBytes(csv + ".gz", noise);
            File.Delete(csv);
        }));
        yield return ("random-bytes-csv", () => Variant("random-bytes-csv", csv =>
        {
            var noise = new byte[100_000];
            new Random(2).NextBytes(noise);
            File.WriteAllBytes(csv, noise);
        }));
        yield return ("latin1-csv", () => Variant("latin1-csv", csv =>
        {
            // a Latin-1 export: "café" and "cafè" used to become one item, "caf\uFFFD"
            var first = File.ReadLines(csv).Skip(1).First().Split(',');
            var rows = new[] { "café", "cafè" }.Select(item => string.Join(',', first.Select((v, i) => i == 4 ? item : v)) + "\n");
            File.AppendAllText(csv, string.Concat(rows), System.Text.Encoding.Latin1);
        }));
    }
}
