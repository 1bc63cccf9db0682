using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SslRec.Pipeline;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;

/// <summary>
/// `scale`: memory and time of each pipeline stage at two dataset sizes, through the local pipeline as
/// in Azure: one `sslrec host --no-train --stages X` process per memory-heavy function-app stage (a Flex
/// Consumption app scales each queue-triggered function on its own instances), one for the light ones,
/// and `sslrec train-worker` for training (limited to a few hundred steps). A stage's peak is its
/// process's peak RSS (VmHWM); wall and work seconds come from the run record.
///
/// Two axes: rows (`--sizes`: interactions at fixed users/items; the vocabularies stop growing once every
/// user has appeared) and vocabulary (`--axis vocabulary`: 2M users / 200k items at 5M interactions and
/// 10M users / 1M items at 25M, where the distinct values grow with the rows and the reduce partitions).
/// </summary>
static class Scale
{
    private static readonly string[] HostStages = ["drop", "shard-map", "shard-reduce", "remap", "publish"];
    /// <summary>The host processes: the three stages whose memory depends on the data on their own, the light ones together.</summary>
    private static readonly string[][] Hosts = [["shard-map"], ["shard-reduce"], ["remap"], ["drop", "publish", "retrain"]];
    /// <summary>
    /// Evaluation is capped (as in Azure by default, at a smaller sample) so the trainer's figures are training's, not
    /// the hold-out's size; the vocabulary axis (1M items: ≈ 440 queries/s per item matrix on 2 cores) caps it lower.
    /// </summary>
    private static string EvalCap(bool vocabularyAxis) => vocabularyAxis ? "5000" : "50000";

    /// <param name="format">csv, or parquet: the same rows converted by `sslrec convert parquet` (row groups of 250,000 rows)</param>
    public static int Run(string sslrec, string workDir, int[] sizes, int users, int items, int trainSteps, string? jsonPath, string format = "csv") =>
        Run(sslrec, workDir, sizes.Select(n => (n, users, items)).ToArray(), trainSteps, jsonPath, format, vocabularyAxis: false);

    /// <summary>The vocabulary axis: the users and items grow with the rows.</summary>
    public static readonly (int Interactions, int Users, int Items)[] VocabularyCases = [(5_000_000, 2_000_000, 200_000), (25_000_000, 10_000_000, 1_000_000)];

    public static int Run(string sslrec, string workDir, (int Interactions, int Users, int Items)[] cases, int trainSteps, string? jsonPath, string format, bool vocabularyAxis)
    {
        var results = new List<Dictionary<string, object>>();
        var sizes = cases.Select(c => c.Interactions).ToArray();
        foreach (var (size, users, items) in cases)
        {
            var data = Path.Combine(workDir, vocabularyAxis ? $"data-{size}-{users}u-{items}i" : $"data-{size}");
            if (!File.Exists(Path.Combine(data, "schema.json")))
            {
                Console.Error.WriteLine($"scale: generating {size:N0} interactions ({users:N0} users, {items:N0} items)");
                using var gen = Process.Start("dotnet", [sslrec, "generate", "--out", data, "--interactions", size.ToString(CultureInfo.InvariantCulture),
                    "--users", users.ToString(CultureInfo.InvariantCulture), "--items", items.ToString(CultureInfo.InvariantCulture), "--seed", "1"])!;
                gen.WaitForExit();
            }
            if (format == "parquet")
            {
                var parquet = data + "-parquet";
                if (!File.Exists(Path.Combine(parquet, "schema.json")))
                {
                    using var convert = Process.Start("dotnet", [sslrec, "convert", "parquet", "--data", data, "--out", parquet, "--row-group-rows", "250000"])!;
                    convert.WaitForExit();
                }
                data = parquet;
            }
            using var cluster = new BenchCluster(sslrec, Path.Combine(workDir, vocabularyAxis ? $"run-{size}-{users}u-{format}" : $"run-{size}-{format}"), new Dictionary<string, string> { ["SslRec__Pipeline__MaxEvalQueries"] = EvalCap(vocabularyAxis) });
            var hosts = Hosts.Select(stages => (Stages: stages,
                Process: cluster.Start("host-" + stages[0], HostEnvironment(), "host", "--no-train", "--scan-seconds", "0", "--stages", string.Join(',', stages)))).ToList();
            // RSS over time of the map and remap hosts: their peak while handling their first messages is compared across
            // sizes with the same number of messages (a process's peak also grows with the messages it has handled)
            var samples = new Dictionary<string, List<(DateTime At, double MiB)>> { ["shard-map"] = [], ["shard-reduce"] = [], ["remap"] = [] };
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    foreach (var (stage, list) in samples)
                        if (BenchCluster.RssMiB(hosts.Single(h => h.Stages[0] == stage).Process) is { } mib) list.Add((DateTime.UtcNow, mib));
                    await Task.Delay(100);
                }
            });
            var clock = Stopwatch.StartNew();
            var runId = DatasetDrop.UploadAsync(cluster.Context, data, "scale", "v1").GetAwaiter().GetResult().RunId;
            var uploaded = clock.Elapsed.TotalSeconds;
            cluster.WaitRun(runId, r => r.State is RunState.Training || RunWatcher.IsTerminal(r.State), TimeSpan.FromHours(2));
            var worker = cluster.Start("worker", "train-worker", "--device", "cpu", "--max-steps", trainSteps.ToString(CultureInfo.InvariantCulture));
            double trainerPeak = 0;
            while (!worker.HasExited)
            {
                trainerPeak = Math.Max(trainerPeak, BenchCluster.PeakRssMiB(worker) ?? 0);
                Thread.Sleep(200);
            }
            var run = cluster.WaitRun(runId, r => RunWatcher.IsTerminal(r.State), TimeSpan.FromMinutes(30));
            sampling.Cancel();
            sampler.Wait();
            var processPeak = hosts.SelectMany(h => h.Stages.Select(stage => (stage, Peak: BenchCluster.PeakRssMiB(h.Process) ?? 0))).ToDictionary(x => x.stage, x => x.Peak);
            var row = new Dictionary<string, object>
            {
                ["interactions"] = size, ["users"] = users, ["items"] = items, ["format"] = format,
                ["vocabulary_partitions"] = run.Vocabulary?.Partitions ?? 0, ["estimated_distinct"] = run.Vocabulary?.EstimatedDistinct ?? 0, ["state"] = run.State.ToString(), ["upload_seconds"] = Math.Round(uploaded, 1),
                ["trainer_peak_mib"] = Math.Round(trainerPeak),
                ["trainer_seconds"] = run.Stages.GetValueOrDefault("train")?.WorkSeconds ?? 0,
            };
            row["shard-map_first_messages_peak_mib"] = PeakUntil(samples["shard-map"], Completed(cluster, BlobLayout.ShardPrefix(runId), BlobLayout.ShardVocabularySuffix));
            row["remap_first_messages_peak_mib"] = PeakUntil(samples["remap"], Completed(cluster, BlobLayout.PartPrefix(runId), ".json"));
            // the reduce host: its partitions (flat in users by design), then the header step (the item side)
            var partitionsDone = Completed(cluster, BlobLayout.VocabularyPrefix(runId), ".json").LastOrDefault();
            var headerDone = Completed(cluster, BlobLayout.DatasetHeader(runId), ".bin").LastOrDefault();
            row["shard-reduce_partitions_peak_mib"] = PeakBetween(samples["shard-reduce"], DateTime.MinValue, partitionsDone);
            row["shard-reduce_header_peak_mib"] = PeakBetween(samples["shard-reduce"], partitionsDone, headerDone);
            foreach (var stage in HostStages)
                if (run.Stages.TryGetValue(stage, out var t))
                {
                    row[$"{stage}_peak_mib"] = Math.Round(processPeak[stage]);
                    row[$"{stage}_work_seconds"] = t.WorkSeconds ?? 0;
                    row[$"{stage}_wall_seconds"] = Math.Round(t.Seconds ?? 0, 1);
                }
            results.Add(row);
            Console.WriteLine(string.Join("  ", row.Select(kv => $"{kv.Key}={kv.Value}")));
        }

        if (jsonPath is not null) File.WriteAllText(jsonPath, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
        var (small, large) = (results[0], results[^1]);
        Console.WriteLine($"| stage | {sizes[0]:N0} | {sizes[^1]:N0} | ratio |");
        Console.WriteLine("|---|---|---|---|");
        var worst = 0.0;
        foreach (var key in HostStages.Select(s => $"{s}_peak_mib").Append("trainer_peak_mib").Where(k => small.ContainsKey(k) && large.ContainsKey(k)))
        {
            var (a, b) = (Convert.ToDouble(small[key], CultureInfo.InvariantCulture), Convert.ToDouble(large[key], CultureInfo.InvariantCulture));
            var ratio = a > 0 ? b / a : 0;
            // the vocabulary axis judges the function-app stages; the trainer's tables are its own matter (printed)
            if (!vocabularyAxis || key != "trainer_peak_mib") worst = Math.Max(worst, ratio);
            Console.WriteLine($"| {key} | {a:F0} MiB | {b:F0} MiB | {ratio:F2} |");
        }
        if (vocabularyAxis)
        {
            // a process's peak also grows with the messages it handled (4 shards at 2M, 19 at 10M): the same stages over the same work
            foreach (var key in new[] { "shard-map_first_messages_peak_mib", "remap_first_messages_peak_mib", "shard-reduce_partitions_peak_mib", "shard-reduce_header_peak_mib" })
            {
                var (a, b) = (Convert.ToDouble(small[key], CultureInfo.InvariantCulture), Convert.ToDouble(large[key], CultureInfo.InvariantCulture));
                Console.WriteLine($"| {key} | {a:F0} MiB | {b:F0} MiB | {(a > 0 ? b / a : 0):F2} |");
            }
            foreach (var r in results)
                Console.WriteLine($"{Label((int)r["users"])} users: vocabulary partitions {r["vocabulary_partitions"]} (≈{r["estimated_distinct"]:N0} distinct partitioned values), trainer host peak {r["trainer_peak_mib"]} MiB");
            Console.WriteLine($"vocabulary {Label(cases[^1].Users)}/{Label(cases[0].Users)} users peak RSS ratio (worst stage): {worst:F2}");
        }
        else Console.WriteLine($"scale {Label(sizes[^1])}/{Label(sizes[0])} peak RSS ratio (worst stage): {worst:F2}");
        return 0;
    }

    /// <summary>How many of its first messages a host's early peak covers (the smaller size's shard count).</summary>
    private const int FirstMessages = 4;

    /// <summary>When each message of a stage was done, by the last-modified time of the blob that marks it.</summary>
    private static List<DateTime> Completed(BenchCluster cluster, string prefix, string suffix) =>
        cluster.Context.Blobs.ListAsync(BlobLayout.Artifacts, prefix).GetAwaiter().GetResult()
            .Where(b => b.Name.EndsWith(suffix, StringComparison.Ordinal)).Select(b => b.Properties.LastModified!.Value.UtcDateTime).Order().ToList();

    /// <summary>The peak of the samples taken until the FirstMessages-th message was done.</summary>
    private static double PeakUntil(List<(DateTime At, double MiB)> samples, List<DateTime> done) =>
        done.Count < FirstMessages ? 0 : PeakBetween(samples, DateTime.MinValue, done[FirstMessages - 1]);

    /// <summary>The peak of the samples taken in [from, to] (blob times have one-second resolution: one second of slack at the end).</summary>
    private static double PeakBetween(List<(DateTime At, double MiB)> samples, DateTime from, DateTime to) =>
        Math.Round(samples.Where(x => x.At >= from && x.At <= to.AddSeconds(1)).Select(x => x.MiB).DefaultIfEmpty(0).Max());

    /// <summary>
    /// BENCH_HEAP_LIMIT_MIB: the function-app hosts run with the GC heap held to that many MiB
    /// (DOTNET_GCHeapHardLimit), as an instance of that size would hold them; unset: no limit (the machine's memory).
    /// </summary>
    private static Dictionary<string, string>? HostEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable("BENCH_HEAP_LIMIT_MIB"), CultureInfo.InvariantCulture, out var mib)
            ? new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = ((long)mib << 20).ToString("X", CultureInfo.InvariantCulture) }
            : null;

    private static string Label(int n) => n % 1_000_000 == 0 ? $"{n / 1_000_000}M" : n % 1000 == 0 ? $"{n / 1000}k" : n.ToString(CultureInfo.InvariantCulture);
}
