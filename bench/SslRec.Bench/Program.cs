using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using SslRec.Core.Data;
using SslRec.Core.Input;
using SslRec.Core.Options;
using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Core.Statistics;
using SslRec.Training;
using SslRec.Training.Evaluation;
using SslRec.Training.Loop;
using TorchSharp;
using static TorchSharp.torch;

// SslRec's side of the benchmarks in bench/. Each command prints a summary and writes a JSON result.
//   train  --data DIR [--steps 60] [--warmup 10] [--threads 2] [--ssl cfm] --json OUT
//   vocab  --data DIR [--embedding-optimizers dense,lazyadam,rowwiseadagrad] [--steps 40] [--dense-steps 40] [--warmup 5] [--device cpu|cuda] --json OUT
//          (training throughput and step phases per embedding optimizer on one dataset; bench/vocab.sh runs it across vocabulary sizes)
//   device-check --data DIR [--device cuda] [--steps 20] [--tolerance 1e-3]  (GPU run: same losses as the CPU, row-wise invariants on the device)
//   ranks  [--items 1000000] [--queries 20000] [--eval-queries 1000000] [--count host|device]  (evaluation kernel time, extrapolated)
//   export --data DIR --out DIR                    (encoded arrays for the PyTorch reference)
//   topk   [--items 1000000] [--dim 64] [--queries 10000] [--k 100] [--threads 2] --json OUT
//   gc-stress --data DIR [--steps 3000] [--configs cfm,none,dpq,mgqe-adagrad] [--gc gen0|compacting] [--cycles N] --json OUT
//             [--exports N]  (training under forced GCs vs without; --cycles adds whole train/evaluate/export/warm-start
//             cycles, --exports N repetitions of the work around training: decode, export, warm start, compact tables)
//   gc-canary [--seconds 60] [--owned true]  (the failure gc-stress looks for, on purpose: exits 0 if it survives; a crash proves the stress can see it)
//   faults --sslrec DLL --data DIR --work DIR --json OUT [--only round2|outages]  (the fault table: kill -9, re-delivery, bad input, storage outage)
//   scale --sslrec DLL --work DIR [--sizes 5000000,25000000] [--users 1000000] [--items 200000] [--steps 300] [--format csv|parquet] --json OUT  (per-stage memory/time)
//   scale --axis vocabulary --sslrec DLL --work DIR [--steps 300] [--format csv|parquet] --json OUT  (2M users / 200k items at 5M, 10M / 1M at 25M)
//   encode --data DIR --file F --json OUT [--threads N --shard-target-mb 64 --shard-index I]  (map-stage throughput over one file, or one of its map tasks)
var a = Args.Parse(args);
var threads = a.Int("threads", Environment.ProcessorCount);
torch.set_num_threads(threads);
switch (args.FirstOrDefault())
{
    case "train": Train(a); break;
    case "vocab": Vocab.Run(a, threads); break;
    case "ranks": Ranks(a); break;
    case "device-check": return DeviceCheck.Run(a);
    case "export": Export(a); break;
    case "topk": TopK(a); break;
    case "encode": Encode(a); break;
    case "topk-profile": TopKProfile(a); break;
    case "encode-profile": EncodeProfile(a); break;
    case "pq-profile": PqProfile(a); break;
    case "gc-stress": return GcStress(a);
    case "gc-canary": return GcCanary(a);
    case "faults": return Faults.Run(a.Str("sslrec"), a.Str("data"), a.Str("work"), a.Has("json") ? a.Str("json") : null, a.Has("only") ? a.Str("only") : null);
    case "scale" when a.Str("axis", "rows") == "vocabulary":
        return Scale.Run(a.Str("sslrec"), a.Str("work"), Scale.VocabularyCases, a.Int("steps", 300), a.Has("json") ? a.Str("json") : null, a.Str("format", "csv"), vocabularyAxis: true);
    case "scale":
        return Scale.Run(a.Str("sslrec"), a.Str("work"), a.Str("sizes", "5000000,25000000").Split(',').Select(int.Parse).ToArray(),
            a.Int("users", 1_000_000), a.Int("items", 200_000), a.Int("steps", 300), a.Has("json") ? a.Str("json") : null, a.Str("format", "csv"));
    default:
        Console.Error.WriteLine("usage: SslRec.Bench train|export|topk|encode [options] (see bench/README.md)");
        return 2;
}
return 0;

void Train(Args a)
{
    var data = DatasetEncoder.Read(a.Str("data"));
    var items = ItemFeatureStatistics.Of(data);
    var options = new TrainingOptions { Ssl = Enum.Parse<SslMode>(a.Str("ssl", "cfm"), true), Epochs = 1000, CheckpointEvery = 0 };
    if (a.Has("embedding-optimizer")) options = options with { EmbeddingOptimizer = Enum.Parse<EmbeddingOptimizerKind>(a.Str("embedding-optimizer"), true) };
    using var trainer = new Trainer(data, options, CPU, items);
    var timed = TimedSteps.Run(trainer, a.Int("warmup", 10), a.Int("steps", 60));
    var (steps, seconds, t) = (timed.Steps, timed.Seconds, timed.Timings);
    var result = new Dictionary<string, object>
    {
        ["implementation"] = "sslrec", ["ssl"] = options.Ssl.ToString().ToLowerInvariant(), ["threads"] = threads, ["steps"] = steps,
        ["embedding_optimizer"] = options.EmbeddingOptimizer.ToString().ToLowerInvariant(),
        ["batch_size"] = options.BatchSize, ["ssl_batch_size"] = options.SslBatchSize,
        ["examples_per_second"] = timed.ExamplesPerSecond,
        ["seconds"] = seconds,
        ["breakdown_seconds"] = new Dictionary<string, double>
        {
            ["data"] = t.Assembly.TotalSeconds, ["forward"] = t.Forward.TotalSeconds,
            ["backward"] = t.Backward.TotalSeconds, ["optimizer"] = t.Optimizer.TotalSeconds,
        },
    };
    Write(a, result);
}

// Trains each configuration twice, with and without a thread forcing GCs back to back (gen-0 ones, or
// full compacting ones with the large-object heap compacted as LargeHeap.Compact does): counts native
// errors and checks that both runs give the very same losses. With --cycles, also runs whole cycles of
// what a training worker and the publish gate do (train, evaluate, product-quantize, export, same-data
// recall with a warm start, a query encoded and ranked, a DPQ run warm-started from the first and its
// compact tables read back) calm once and then N times under pressure, each stressed cycle's outputs
// compared with the calm one. A crash inside libtorch ends the process (bench/gc-stress.sh reports it).
int GcStress(Args a)
{
    var data = DatasetEncoder.Read(a.Str("data"));
    var items = ItemFeatureStatistics.Of(data); // one mutual-information matrix for every trainer below
    var steps = a.Int("steps", 3000);
    var kind = a.Str("gc", "gen0") switch
    {
        "gen0" => SslRec.Training.Diagnostics.GcPressureKind.Gen0,
        "compacting" => SslRec.Training.Diagnostics.GcPressureKind.FullCompacting,
        var g => throw new ArgumentException($"--gc must be gen0 or compacting (got '{g}')"),
    };
    var small = new TrainingOptions { BatchSize = 256, SslBatchSize = 128, EmbeddingDim = 16, Hidden = [64], OutputDim = 32, Epochs = 100000, CheckpointEvery = 0 };
    var configs = new Dictionary<string, TrainingOptions>
    {
        ["cfm"] = small,
        ["none"] = small with { Ssl = SslMode.None, EmbeddingOptimizer = EmbeddingOptimizerKind.Dense },
        ["dpq"] = small with { Embedding = EmbeddingKind.Dpq, DpqGroups = 4, DpqCentroids = 64, EmbeddingOptimizer = EmbeddingOptimizerKind.LazyAdam },
        ["mgqe-adagrad"] = small with { Embedding = EmbeddingKind.Mgqe, DpqGroups = 4, DpqCentroids = 64, Optimizer = OptimizerKind.Adagrad, SpreadOut = 0.1, EmbeddingOptimizer = EmbeddingOptimizerKind.RowwiseAdagrad },
    };
    var rows = new List<Dictionary<string, object>>();
    var failures = 0;
    foreach (var name in a.Str("configs", string.Join(',', configs.Keys)).Split(',', StringSplitOptions.RemoveEmptyEntries))
    {
        double[] Run(bool pressure, out string? error, out int collections)
        {
            using var gc = pressure ? new SslRec.Training.Diagnostics.GcPressure(kind: kind) : null;
            using var trainer = new Trainer(data, configs[name], CPU, items);
            error = null;
            try { trainer.TrainSteps(steps); }
            catch (System.Runtime.InteropServices.ExternalException e) { error = e.Message.Split('\n')[0]; }
            collections = gc?.Collections ?? 0;
            return trainer.State.Losses.Select(l => l.Total).ToArray();
        }
        var clock = Stopwatch.StartNew();
        var calm = Run(false, out var calmError, out _);
        var stressed = Run(true, out var stressError, out var collections);
        var identical = calm.SequenceEqual(stressed);
        failures += (calmError is null ? 0 : 1) + (stressError is null ? 0 : 1) + (identical ? 0 : 1);
        Console.WriteLine($"{name,-14} {steps} steps x2  forced GCs {collections,7:N0}  native errors {(calmError ?? stressError) ?? "none"}  losses identical: {(identical ? "yes" : "NO")}  ({clock.Elapsed.TotalSeconds:F0} s)");
        rows.Add(new() { ["config"] = name, ["steps"] = steps, ["forced_gcs"] = collections, ["identical"] = identical, ["error"] = (object?)(calmError ?? stressError) ?? "" });
    }
    var cycles = a.Int("cycles", 0);
    var cycleRows = new List<Dictionary<string, object>>();
    if (cycles > 0)
    {
        var work = Path.Combine(Path.GetTempPath(), $"sslrec-gc-cycle-{Environment.ProcessId}");
        var cycleSteps = a.Int("cycle-steps", 40);
        var calmClock = Stopwatch.StartNew();
        var calm = Task.Run(() => SslRec.Training.Diagnostics.GcCycle.Run(data, Path.Combine(work, "calm"), cycleSteps)).GetAwaiter().GetResult();
        Console.WriteLine($"calm cycle ({calmClock.Elapsed.TotalSeconds:F0} s)");
        for (var c = 0; c < cycles; c++)
        {
            var clock = Stopwatch.StartNew();
            string stressed;
            int collections;
            using (var gc = new SslRec.Training.Diagnostics.GcPressure(kind: kind))
            {
                // on a thread-pool thread, where the pipeline's worker trains
                stressed = Task.Run(() => SslRec.Training.Diagnostics.GcCycle.Run(data, Path.Combine(work, $"stressed-{c}"), cycleSteps)).GetAwaiter().GetResult();
                collections = gc.Collections;
            }
            var identical = stressed == calm;
            failures += identical ? 0 : 1;
            if (!identical)
                foreach (var (x, y) in calm.Split('\n').Zip(stressed.Split('\n')).Where(p => p.First != p.Second))
                    Console.WriteLine($"  differs: {x}\n       vs: {y}");
            Console.WriteLine($"cycle {c + 1}/{cycles}  forced GCs {collections,7:N0}  outputs identical: {(identical ? "yes" : "NO")}  ({clock.Elapsed.TotalSeconds:F0} s)");
            cycleRows.Add(new() { ["cycle"] = c + 1, ["forced_gcs"] = collections, ["identical"] = identical, ["seconds"] = clock.Elapsed.TotalSeconds });
        }
        Directory.Delete(work, recursive: true);
    }
    var exports = a.Int("exports", 0);
    var exportRows = new Dictionary<string, object>();
    if (exports > 0)
    {
        var work = Path.Combine(Path.GetTempPath(), $"sslrec-gc-exports-{Environment.ProcessId}");
        var (calm, calmSeconds) = ExportLoop.Prepare(data, work);
        Console.WriteLine($"exports: models trained and calm outputs in {calmSeconds:F0} s");
        var clock = Stopwatch.StartNew();
        int differing = 0, collections;
        using (var gc = new SslRec.Training.Diagnostics.GcPressure(kind: kind))
        {
            for (var i = 0; i < exports; i++)
            {
                var stressed = Task.Run(() => ExportLoop.Run(data, work, i)).GetAwaiter().GetResult();
                Console.Write(i % 50 == 49 ? $"{i + 1}\n" : "."); // progress: a crash shows how far it got
                if (stressed != calm)
                {
                    differing++;
                    if (differing == 1)
                        foreach (var (x, y) in calm.Split('\n').Zip(stressed.Split('\n')).Where(p => p.First != p.Second))
                            Console.WriteLine($"  differs: {x}\n       vs: {y}");
                }
            }
            collections = gc.Collections;
        }
        failures += differing;
        if (exports % 50 != 0) Console.WriteLine();
        Console.WriteLine($"exports: {exports} repetitions under forced GCs ({collections:N0} collections), {differing} with differing outputs ({clock.Elapsed.TotalSeconds:F0} s)");
        exportRows = new() { ["repetitions"] = exports, ["forced_gcs"] = collections, ["differing"] = differing, ["seconds"] = clock.Elapsed.TotalSeconds };
        Directory.Delete(work, recursive: true);
    }
    Write(a, new Dictionary<string, object>
    {
        ["gc"] = a.Str("gc", "gen0"), ["steps_per_config"] = steps, ["threads"] = threads, ["runs"] = rows, ["cycles"] = cycleRows, ["exports"] = exportRows,
        ["failures"] = failures,
    });
    Console.WriteLine($"gc-stress failures (native errors or differing outputs): {failures}");
    return failures == 0 ? 0 : 1;
}

// The failure class gc-stress looks for, made on purpose: a tensor that managed code no longer references
// is passed to a long native call (a 512×1024 by 1024×1024 product) while another thread forces full
// compacting collections. TorchSharp passes only the tensor's handle, so its finalizer can free the native
// tensor while libtorch still reads it: here that crashes within seconds (SIGSEGV in libtorch_cpu.so, as
// in issue 24). With --owned true the temporary is held by a DisposeScope, which is what SslRec does: no crash.
int GcCanary(Args a)
{
    var seconds = a.Int("seconds", 60);
    var owned = a.Str("owned", "false") == "true";
    using var gc = new SslRec.Training.Diagnostics.GcPressure(kind: SslRec.Training.Diagnostics.GcPressureKind.FullCompacting);
    using var left = randn(512, 1024);
    var clock = Stopwatch.StartNew();
    var products = 0;
    while (clock.Elapsed.TotalSeconds < seconds)
    {
        if (owned)
        {
            using var scope = NewDisposeScope();
            UnownedProduct(left);
        }
        else UnownedProduct(left).Dispose();
        products++;
    }
    Console.WriteLine($"gc-canary ({(owned ? "owned" : "unowned")} temporaries): survived {products} products and {gc.Collections} forced compacting collections in {seconds} s");
    return 0;

    // Optimised at once (no tier-0 code, which keeps every temporary alive to the end of the method).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization | System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static Tensor UnownedProduct(Tensor left) => left.mm(randn(1024, 1024));
}

void Export(Args a)
{
    var data = DatasetEncoder.Read(a.Str("data"));
    var dir = a.Str("out");
    Directory.CreateDirectory(dir);
    void Ints(string name, int[] values) => File.WriteAllBytes(Path.Combine(dir, name + ".i32"), MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
    var features = new List<object>();
    void Table(string prefix, EncodedTable table, IReadOnlyList<FeatureSpec> specs, int vocabOffset)
    {
        for (var f = 0; f < specs.Count; f++)
        {
            var c = table.Columns[f];
            var name = $"{prefix}_{f}";
            if (c.Ids is not null) Ints(name + "_ids", c.Ids);
            else { Ints(name + "_offsets", c.Offsets!); Ints(name + "_values", c.Values!); }
            features.Add(new { table = prefix, index = f, name = specs[f].Name, multi = specs[f].IsMulti, vocab = data.Vocabularies[vocabOffset + f].Size });
        }
    }
    var train = data.Train.Materialize();
    Table("query", train.Queries, data.Schema.Query, 0);
    Table("item", data.Items, data.Schema.Item, data.Schema.Query.Count);
    Ints("train_item", train.ItemIndex);
    File.WriteAllBytes(Path.Combine(dir, "item_counts.i64"), MemoryMarshal.AsBytes(data.ItemTrainCounts.AsSpan()).ToArray());
    var mi = MutualInformation.Compute(data.Items, data.ItemTrainCounts);
    var k = data.Schema.Item.Count;
    File.WriteAllText(Path.Combine(dir, "meta.json"), JsonSerializer.Serialize(new
    {
        train = data.Train.Count, items = data.CorpusSize, features,
        mutual_information = Enumerable.Range(0, k).Select(i => Enumerable.Range(0, k).Select(j => mi[i, j]).ToArray()).ToArray(),
        options = new TrainingOptions(),
    }, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"exported {data.Train.Count:N0} training examples and {data.CorpusSize:N0} items to {dir}");
}

void TopK(Args a)
{
    int n = a.Int("items", 1_000_000), dim = a.Int("dim", 64), queries = a.Int("queries", 10_000), k = a.Int("k", 100);
    random.manual_seed(1);
    using var items = randn(n, dim);
    using var q = randn(queries, dim);
    int chunk = a.Int("chunk", 64), block = a.Int("block", 1 << 19);
    ExactRanker.TopK(q.narrow(0, 0, Math.Min(256, queries)), items, k, chunk, block); // warm-up
    var clock = Stopwatch.StartNew();
    var (indices, _) = ExactRanker.TopK(q, items, k, chunk, block);
    var seconds = clock.Elapsed.TotalSeconds;
    Write(a, new Dictionary<string, object>
    {
        ["implementation"] = "sslrec", ["items"] = n, ["dim"] = dim, ["queries"] = queries, ["k"] = k, ["threads"] = threads,
        ["seconds"] = seconds, ["queries_per_second"] = queries / seconds, ["first_result"] = indices[0],
    });
}

// The evaluation's kernel: the full-corpus rank of each query's target (ExactRanker.Ranks) over N items,
// timed on a sample of queries and extrapolated to --eval-queries (the pipeline's MaxEvalQueries, 1M) and
// the two item matrices an evaluation ranks against (float32 and product-quantized).
void Ranks(Args a)
{
    int n = a.Int("items", 1_000_000), dim = a.Int("dim", 64), queries = a.Int("queries", 20_000), full = a.Int("eval-queries", 1_000_000);
    random.manual_seed(1);
    using var items = nn.functional.normalize(randn(n, dim), p: 2, dim: 1);
    using var q = nn.functional.normalize(randn(queries, dim), p: 2, dim: 1);
    var targets = Enumerable.Range(0, queries).Select(i => (int)((long)i * 7919 % n)).ToArray();
    ExactRanker.Ranks(q.narrow(0, 0, Math.Min(1024, queries)), items, targets.AsSpan(0, Math.Min(1024, queries))); // warm-up
    var clock = Stopwatch.StartNew();
    var ranks = ExactRanker.Ranks(q, items, targets, a.Int("chunk", 0), a.Int("block", 0), countOnHost: a.Str("count", "host") == "host");
    var seconds = clock.Elapsed.TotalSeconds;
    var perSecond = queries / seconds;
    Console.WriteLine($"ranks: {queries:N0} queries x {n:N0} items x {dim} in {seconds:F1} s = {perSecond:N0} queries/s; " +
                      $"{full:N0} queries x 2 item matrices: {2 * full / perSecond / 60:F0} min");
    Write(a, new Dictionary<string, object>
    {
        ["items"] = n, ["dim"] = dim, ["queries"] = queries, ["threads"] = threads, ["seconds"] = seconds, ["queries_per_second"] = perSecond,
        ["extrapolated_eval_seconds"] = 2.0 * full / perSecond, ["eval_queries"] = full, ["median_rank"] = ranks.Order().ElementAt(queries / 2),
    });
}

// Times the parts of one query chunk's top-k over the corpus: the matrix products, and the selection.
void TopKProfile(Args a)
{
    int n = a.Int("items", 1_000_000), dim = a.Int("dim", 64), chunk = a.Int("chunk", 1024), block = a.Int("block", 65536), k = a.Int("k", 100);
    random.manual_seed(1);
    using var items = randn(n, dim);
    using var q = randn(chunk, dim);
    double mmSeconds = 0, selectSeconds = 0;
    var clock = Stopwatch.StartNew();
    for (long i0 = 0; i0 < n; i0 += block)
    {
        using var scope = NewDisposeScope();
        var bn = Math.Min(block, n - i0);
        var right = a.Str("layout", "view") switch
        {
            "contiguous" => items.narrow(0, i0, bn).t().contiguous(),
            _ => items.narrow(0, i0, bn).t(),
        };
        clock.Restart();
        var scores = a.Str("op", "mm") == "matmul" ? q.matmul(right) : q.mm(right);
        mmSeconds += clock.Elapsed.TotalSeconds;
        clock.Restart();
        if (a.Str("select", "topk") == "threshold")
        {
            var pass = scores.gt(3.0f * (float)Math.Sqrt(dim));
            var where = pass.nonzero();
            var vals = scores.masked_select(pass);
            if (i0 == 0) Console.WriteLine($"  gt+nonzero: {where.shape[0]} candidates in a block");
        }
        else scores.topk(k, dim: 1);
        selectSeconds += clock.Elapsed.TotalSeconds;
    }
    Console.WriteLine($"chunk {chunk} x {n} items, block {block}: mm {mmSeconds:F2} s ({2.0 * chunk * n * dim / mmSeconds / 1e9:F0} GFLOP/s), topk {selectSeconds:F2} s");
}

// Where the map stage's time goes: reading lines, splitting CSV rows, and the full encode, on one file.
void EncodeProfile(Args a)
{
    var schema = DatasetSchema.Load(Path.Combine(a.Str("data"), DatasetSchema.FileName));
    var file = a.Str("file");
    var mb = new FileInfo(file).Length / 1e6;
    var clock = Stopwatch.StartNew();
    using (var lines = new LineReader(File.OpenRead(file), file, "CSV"))
        while (lines.TryReadLine(out _)) { }
    Console.WriteLine($"lines only: {mb / clock.Elapsed.TotalSeconds:F0} MB/s");
    clock.Restart();
    using (var reader = DataFiles.Open(file, ShardEncoder.InteractionColumns(schema), schema.Ignore))
        while (reader.Read()) { }
    Console.WriteLine($"csv rows:   {mb / clock.Elapsed.TotalSeconds:F0} MB/s");
    var columns = ShardEncoder.InteractionColumns(schema);
    clock.Restart();
    long sink = 0;
    var splitKey = new SplitKey(schema);
    using (var reader = DataFiles.Open(file, columns, schema.Ignore))
        while (reader.Read())
        {
            sink += (long)splitKey.Hash(reader, 42);
            for (var c = 0; c < columns.Length; c++) sink += reader.Get(c).Length;
        }
    Console.WriteLine($"+ get all fields, split hash: {mb / clock.Elapsed.TotalSeconds:F0} MB/s ({sink % 2})");
    clock.Restart();
    var dictionaries = columns.Select(_ => new SslRec.Core.Vocab.LocalDictionary()).ToArray();
    using (var reader = DataFiles.Open(file, columns, schema.Ignore))
        while (reader.Read())
            for (var c = 0; c < columns.Length; c++)
            {
                var text = reader.Get(c);
                if (columns[c].MultiSeparator is { } sep)
                    foreach (var range in text.Split(sep)) sink += dictionaries[c].IdOf(text[range]);
                else sink += dictionaries[c].IdOf(text);
            }
    Console.WriteLine($"+ dictionary ids: {mb / clock.Elapsed.TotalSeconds:F0} MB/s ({sink % 2})");
    for (var only = 0; only < columns.Length; only++)
    {
        clock.Restart();
        var d = new SslRec.Core.Vocab.LocalDictionary();
        using var reader = DataFiles.Open(file, columns, schema.Ignore);
        while (reader.Read())
        {
            var text = reader.Get(only);
            if (columns[only].MultiSeparator is { } sep)
                foreach (var range in text.Split(sep)) sink += d.IdOf(text[range]);
            else sink += d.IdOf(text);
        }
        Console.WriteLine($"  column {columns[only].Name}: {mb / clock.Elapsed.TotalSeconds:F0} MB/s, {d.Count} values");
    }
    clock.Restart();
    using (var reader = DataFiles.Open(file, ShardEncoder.InteractionColumns(schema), schema.Ignore))
        ShardEncoder.EncodeInteractions(reader, schema, withCatalog: true, new DatasetReadOptions());
    Console.WriteLine($"encode:     {mb / clock.Elapsed.TotalSeconds:F0} MB/s");
}

// The map stage over one file, as `sslrec train` and the pipeline run it: 64 MB byte ranges, --threads at
// a time (a .gz file is one stream). --threads 1 --shard-target-mb 0 gives the single-stream figure.
void PqProfile(Args a)
{
    var n = a.Int("n", 2000);
    random.manual_seed(1);
    using var x = randn(16, n, 4);
    using var c = randn(16, 256, 4);
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < 10; i++) { using var s = NewDisposeScope(); x.bmm(c.transpose(1, 2)); }
    Console.WriteLine($"bmm: {clock.Elapsed.TotalMilliseconds / 10:F1} ms");
    clock.Restart();
    for (var i = 0; i < 10; i++) { using var s = NewDisposeScope(); x.bmm(c.transpose(1, 2).contiguous()); }
    Console.WriteLine($"bmm contiguous: {clock.Elapsed.TotalMilliseconds / 10:F1} ms");
    clock.Restart();
    for (var i = 0; i < 10; i++) { using var s = NewDisposeScope(); x.unsqueeze(2).sub(c.unsqueeze(1)).pow(2).sum(-1); }
    Console.WriteLine($"broadcast: {clock.Elapsed.TotalMilliseconds / 10:F1} ms");
    clock.Restart();
    for (var i = 0; i < 10; i++) { using var s = NewDisposeScope(); x.bmm(c.transpose(1, 2)).argmin(-1); }
    Console.WriteLine($"bmm+argmin: {clock.Elapsed.TotalMilliseconds / 10:F1} ms");
    var norms = c.pow(2).sum(-1).unsqueeze(1);
    var ct = c.transpose(1, 2).contiguous();
    for (var i = 0; i < 10; i++)
    {
        clock.Restart();
        using var s = NewDisposeScope();
        norms.sub(x.bmm(ct).mul(2)).argmin(-1);
        Console.Write($"{clock.Elapsed.TotalMilliseconds:F0} ");
    }
    Console.WriteLine(" ms: norms.sub(bmm.mul).argmin");
    for (var i = 0; i < 10; i++)
    {
        clock.Restart();
        using var s = NewDisposeScope();
        x.bmm(ct).argmin(-1);
        Console.Write($"{clock.Elapsed.TotalMilliseconds:F0} ");
    }
    Console.WriteLine(" ms: bmm.argmin");
    for (var i = 0; i < 10; i++)
    {
        clock.Restart();
        using var s = NewDisposeScope();
        x.bmm(ct).mul_(-2).add_(norms).argmin(-1);
        Console.Write($"{clock.Elapsed.TotalMilliseconds:F0} ");
    }
    Console.WriteLine(" ms: bmm.mul_.add_.argmin");
    for (var i = 0; i < 10; i++)
    {
        clock.Restart();
        using var s = NewDisposeScope();
        x.bmm(ct);
        Console.Write($"{clock.Elapsed.TotalMilliseconds:F0} ");
    }
    Console.WriteLine(" ms: bmm");
    clock.Restart();
    for (var i = 0; i < 10; i++) { using var s = NewDisposeScope(); cdist(x, c).argmin(-1); }
    Console.WriteLine($"cdist+argmin: {clock.Elapsed.TotalMilliseconds / 10:F1} ms");
    using var v = randn(n, 64);
    foreach (var iters in new[] { 1, 2, 3, 5, 10 })
    {
        clock.Restart();
        SslRec.Training.Export.ProductQuantizer.Fit(v, 16, iterations: iters);
        Console.WriteLine($"fit {iters} iterations: {clock.Elapsed.TotalMilliseconds:F0} ms");
    }
}

void Encode(Args a)
{
    var schema = DatasetSchema.Load(Path.Combine(a.Str("data"), DatasetSchema.FileName));
    var file = a.Str("file");
    var bytes = new FileInfo(file).Length;
    var threads = a.Int("threads", Environment.ProcessorCount);
    var options = new DatasetReadOptions { Threads = threads, ShardTargetBytes = (long)a.Int("shard-target-mb", 64) << 20 };
    var clock = Stopwatch.StartNew();
    IReadOnlyList<PartialShard> shards;
    if (a.Has("shard-index"))
    {
        // one map task of the pipeline: the peak memory of a single shard-map invocation
        var input = InputFile.Local(file);
        var range = input.Plan(options.ShardTargetBytes)[a.Int("shard-index", 0)];
        shards = [ShardEncoder.Encode(input, range, catalog: false, schema, withCatalog: true, options)];
        bytes = range.IsWhole || input.Format.Unit != RangeUnit.Bytes ? bytes : range.End - range.Start;
    }
    else shards = DatasetEncoder.EncodeInteractions(schema, [file], withCatalog: true, options);
    var seconds = clock.Elapsed.TotalSeconds;
    var rows = shards.Sum(s => s.Vocabulary.RowsRead);
    Write(a, new Dictionary<string, object>
    {
        ["implementation"] = "sslrec", ["file"] = Path.GetFileName(file), ["bytes"] = bytes, ["rows"] = rows, ["seconds"] = seconds,
        ["threads"] = threads, ["shards"] = shards.Count,
        ["mb_per_second"] = bytes / 1e6 / seconds, ["rows_per_second"] = rows / seconds,
    });
}

void Write(Args a, Dictionary<string, object> result)
{
    var json = JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true });
    if (a.Has("json")) File.WriteAllText(a.Str("json"), json);
    Console.WriteLine(json);
}

public sealed class Args(Dictionary<string, string> values)
{
    public static Args Parse(string[] args)
    {
        var d = new Dictionary<string, string>();
        for (var i = 1; i < args.Length - 1; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"expected --name value, got '{args[i]}'");
            d[args[i][2..]] = args[i + 1];
        }
        return new Args(d);
    }

    public bool Has(string name) => values.ContainsKey(name);
    public string Str(string name, string? fallback = null) => values.TryGetValue(name, out var v) ? v : fallback ?? throw new ArgumentException($"--{name} is required");
    public int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}

/// <summary>
/// The work around training that gc-stress --exports repeats under pressure: a published bundle loaded,
/// its corpus encoded, product-quantized and decoded, the embeddings written, the serving size counted, a
/// new model warm-started from the bundle and encoded, a DPQ model's compact tables read back, a query
/// encoded and ranked. The harness's own torch work is scoped, so a crash is SslRec's.
/// </summary>
static class ExportLoop
{
    private static TrainingOptions Small => new()
    {
        BatchSize = 256, SslBatchSize = 128, EmbeddingDim = 16, Hidden = [64], OutputDim = 32, Epochs = 1000, MaxSteps = 20, CheckpointEvery = 0, Seed = 7,
    };

    /// <summary>Trains a full and a DPQ model once, calm, and returns the calm outputs of one repetition.</summary>
    public static (string Calm, double Seconds) Prepare(EncodedDataset data, string work)
    {
        var clock = Stopwatch.StartNew();
        return Task.Run(() =>
        {
            foreach (var (name, options) in new[] { ("full", Small), ("dpq", Small with { Embedding = EmbeddingKind.Dpq, DpqGroups = 4, DpqCentroids = 16 }) })
            {
                var output = SslRec.Core.Artifacts.ModelOutput.Local(Path.Combine(work, name));
                var checkpoints = new SslRec.Training.Loop.LocalCheckpointStore(output.PathOf(SslRec.Core.Artifacts.ModelOutput.CheckpointsFolder));
                TrainJob.TrainAndEvaluate(data, options, CPU, new TrainingRun { Checkpoints = checkpoints }, output);
            }
            return (Run(data, work, -1), clock.Elapsed.TotalSeconds);
        }).GetAwaiter().GetResult();
    }

    public static string Run(EncodedDataset data, string work, int repetition)
    {
        var sb = new System.Text.StringBuilder();
        string Sum(Tensor t) { using var scope = NewDisposeScope(); return t.sum().item<float>().ToString("R", CultureInfo.InvariantCulture); }
        var fullModel = Path.Combine(work, "full", "model");
        var (_, _, _, model) = SslRec.Training.Export.ModelBundle.Load(fullModel);
        using (model)
        {
            using var items = Embeddings.Encode(model.ItemTower, data.Items, CPU);
            var pq = SslRec.Training.Export.ProductQuantizer.Fit(items, groups: (int)items.shape[1] / 4, seed: 7);
            var codes = pq.Encode(items);
            using (var decoded = pq.Decode(codes)) sb.Append("decoded=").Append(Sum(decoded)).Append('\n');
            var written = Path.Combine(work, $"embeddings-{repetition}");
            SslRec.Training.Export.EmbeddingFiles.Write(written, items, data.ItemKeys);
            var (vectors, dim, _) = SslRec.Training.Export.EmbeddingFiles.Read(written);
            sb.Append("written=").Append(vectors.Sum(v => (double)v).ToString("R", CultureInfo.InvariantCulture)).Append('\n');
            sb.Append("serving_bytes=").Append(model.ItemTower.EmbeddingServingBytes()).Append('\n');
            var encoder = SslRec.Training.Export.QueryEncoder.Load(Path.Combine(work, "full", "query_tower"));
            var query = encoder.Encode(new Dictionary<string, string> { [data.Schema.Query[0].Name] = data.Vocabularies[0].Values[0] });
            ((object)encoder as IDisposable)?.Dispose();
            sb.Append("top10=").Append(string.Join(',', SslRec.Training.Export.QueryEncoder.TopK(vectors, dim, query, 10).Select(t => t.Index))).Append('\n');
            Directory.Delete(written, recursive: true);
        }
        using (var fresh = SslRec.Training.TorchSetup.CreateSeeded(7, () => new SslRec.Training.Model.TwoTowerModel(data, Small)))
        {
            SslRec.Training.Loop.WarmStart.Apply(fresh, data, fullModel);
            using var warm = Embeddings.Encode(fresh.ItemTower, data.Items, CPU);
            sb.Append("warm=").Append(Sum(warm)).Append('\n');
        }
        foreach (var feature in data.Schema.Item)
        {
            if (!File.Exists(Path.Combine(work, "dpq", "model", SslRec.Training.Export.CompactTables.Folder, feature.Name + ".codes"))) continue;
            using var table = SslRec.Training.Export.CompactTables.Read(Path.Combine(work, "dpq", "model"), feature.Name);
            sb.Append($"compact_{feature.Name}=").Append(Sum(table)).Append('\n');
        }
        return sb.ToString();
    }
}
