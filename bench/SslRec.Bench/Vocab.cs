using System.Diagnostics;
using System.Text.Json;
using SslRec.Core.Data;
using SslRec.Core.Options;
using SslRec.Core.Statistics;
using SslRec.Training.Loop;
using static TorchSharp.torch;

/// <summary>
/// Training throughput on one dataset for each embedding optimizer: the same model, batch and data, so
/// that runs on datasets differing only in vocabulary size (bench/vocab.sh) show what a step's cost
/// follows. Prints one line per optimizer (examples/s, the step's phases, optimizer state per table row).
/// </summary>
public static class Vocab
{
    public static void Run(Args a, int threads)
    {
        // --device cuda on a GPU machine: the same steps with tables, indices and optimizer state on the device
        // (phases then include waiting for the GPU where the host needs a result; examples/s is exact).
        var device = SslRec.Training.TorchSetup.ResolveDevice(a.Str("device", "cpu"));
        var clock = Stopwatch.StartNew();
        var data = DatasetEncoder.Read(a.Str("data"));
        var readSeconds = clock.Elapsed.TotalSeconds;
        var itemStatistics = ItemFeatureStatistics.Of(data);
        var rows = data.Vocabularies.Sum(v => (long)v.Size);
        var users = data.Vocabularies[0].Size;
        var items = data.ItemVocabularies[0].Size;
        Console.WriteLine($"{a.Str("data")}: {data.Train.Count:N0} training examples, corpus {data.CorpusSize:N0} items; vocabulary rows {rows:N0} " +
                          $"(user ids {users:N0}, item ids {items:N0}); read in {readSeconds:F0} s; glibc buffers kept in heap: {SslRec.Training.NativeAllocator.KeepBuffersInHeap()}");
        var runs = new List<Dictionary<string, object>>();
        foreach (var name in a.Str("embedding-optimizers", "dense,lazyadam,rowwiseadagrad").Split(','))
        {
            var kind = Enum.Parse<EmbeddingOptimizerKind>(name, true);
            var options = new TrainingOptions { Ssl = Enum.Parse<SslMode>(a.Str("ssl", "cfm"), true), Epochs = 1000, CheckpointEvery = 0, EmbeddingOptimizer = kind };
            using var trainer = new Trainer(data, options, device, itemStatistics);
            var timed = TimedSteps.Run(trainer, a.Int("warmup", 5),
                kind == EmbeddingOptimizerKind.Dense ? a.Int("dense-steps", a.Int("steps", 40)) : a.Int("steps", 40));
            var (steps, seconds, t) = (timed.Steps, timed.Seconds, timed.Timings);
            var perStep = new Dictionary<string, double>
            {
                ["data"] = t.Assembly.TotalSeconds / steps, ["forward"] = t.Forward.TotalSeconds / steps,
                ["backward"] = t.Backward.TotalSeconds / steps, ["optimizer"] = t.Optimizer.TotalSeconds / steps,
            };
            // Optimizer state per embedding row: measured for the row-wise optimizers; dense Adam keeps two
            // moments per element and a dense gradient of the whole table (dense Adagrad one sum + the gradient).
            var dim = options.EmbeddingDim;
            double stateBytesPerRow = trainer.RowWise is { } rw ? (double)rw.StateBytes / rows
                : (options.Optimizer == OptimizerKind.Adam ? 2 : 1) * dim * sizeof(float);
            var gradientBytesPerRow = kind == EmbeddingOptimizerKind.Dense ? dim * sizeof(float) : 0;
            var examplesPerSecond = timed.ExamplesPerSecond;
            Console.WriteLine($"  {name,-15} {examplesPerSecond,9:N0} examples/s  step {1000 * seconds / steps,7:F1} ms: " +
                              string.Join("  ", perStep.Select(p => $"{p.Key} {1000 * p.Value:F1}")) +
                              $"  optimizer state {stateBytesPerRow:F0} B/row (+ gradient {gradientBytesPerRow} B/row)");
            runs.Add(new()
            {
                ["embedding_optimizer"] = name, ["examples_per_second"] = examplesPerSecond, ["steps"] = steps, ["seconds"] = seconds,
                ["step_phase_seconds"] = perStep, ["optimizer_state_bytes_per_row"] = stateBytesPerRow, ["gradient_bytes_per_row"] = gradientBytesPerRow,
            });
        }
        var result = new Dictionary<string, object>
        {
            ["data"] = a.Str("data"), ["threads"] = threads, ["device"] = device.type.ToString().ToLowerInvariant(), ["train_examples"] = data.Train.Count, ["corpus"] = data.CorpusSize,
            ["vocabulary_rows"] = rows, ["user_rows"] = users, ["item_rows"] = items, ["read_seconds"] = readSeconds, ["runs"] = runs,
        };
        if (a.Has("json")) File.WriteAllText(a.Str("json"), JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
    }
}
