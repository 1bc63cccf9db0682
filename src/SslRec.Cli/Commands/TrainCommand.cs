using System.CommandLine;
using System.Globalization;
using SslRec.Core.Artifacts;
using SslRec.Core.Metrics;
using SslRec.Core.Options;
using SslRec.Training;
using SslRec.Training.Model;

namespace SslRec.Cli.Commands;

public static class TrainCommand
{
    public static Command Create()
    {
        // The job's own options; every training option comes from its descriptor (TrainingOptionsCli).
        var data = new Option<string>("--data") { Description = "Dataset folder (schema.json + data files)", Required = true }.InGroup(OptionGroup.Data);
        var fraction = new Option<double>("--data-fraction") { Description = "Share of training rows to use (hold-out unchanged)", DefaultValueFactory = _ => 1.0 }.InGroup(OptionGroup.Data);
        var maxBad = new Option<long>("--max-bad-rows") { Description = "Skip and count up to N unusable rows instead of failing", DefaultValueFactory = _ => 0 }.InGroup(OptionGroup.Data);
        // --part-mb is this option's name before 2026-12 (scripts may still pass it)
        var shardTargetMb = new Option<int>("--shard-target-mb", "--part-mb")
        {
            Description = "Read files larger than this (MB) in shards of about this size, as the pipeline's map shards (its ShardTargetBytes)", DefaultValueFactory = _ => 64,
        }.InGroup(OptionGroup.Data);
        var output = new Option<string>("--out") { Description = "Output folder (metrics.json, embeddings, model, checkpoints)", Required = true }.InGroup(OptionGroup.Run);
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda", DefaultValueFactory = _ => "auto" }.InGroup(OptionGroup.Run);
        var resume = new Option<bool>("--resume") { Description = "Continue from the newest checkpoint in OUT/checkpoints" }.InGroup(OptionGroup.Run);
        var training = TrainingOptionsCli.All();

        var command = new Command("train", "Train and evaluate a two-tower model on a local dataset") { data, fraction, maxBad, shardTargetMb, output, device, resume };
        training.AddTo(command, grouped: true);
        command.SetAction((parse, cancel) => CommandRunner.RunAsync(() =>
        {
            var options = training.Read(parse);
            var shardTargetBytes = parse.GetValue(shardTargetMb) is var mb and > 0 ? mb * (1L << 20) : throw new ArgumentException("--shard-target-mb must be at least 1");
            using var progress = new ConsoleProgress();
            var outDir = parse.GetValue(output)!;
            var metrics = TrainJob.Run(new TrainJobOptions
            {
                DataDirectory = parse.GetValue(data)!, OutputDirectory = outDir, Training = options,
                Device = parse.GetValue(device)!, DataFraction = parse.GetValue(fraction), MaxBadRows = parse.GetValue(maxBad),
                Resume = parse.GetValue(resume), Log = progress.Log, Progress = progress.Report, ShardTargetBytes = shardTargetBytes,
            }, cancel);
            progress.Finish();
            PrintMetrics(metrics, outDir);
            return Task.CompletedTask;
        }));
        return command;
    }

    /// <summary>"6,021 held-out pairs", or "1,000 of 6,021 held-out pairs, capped by --max-eval-queries" when the evaluation was capped.</summary>
    public static string EvaluatedPairs(MetricsReport m) =>
        m.Examples.Evaluated is { } n ? $"{n:N0} of {m.Examples.Eval:N0} held-out pairs, capped by --max-eval-queries" : $"{m.Examples.Eval:N0} held-out pairs";

    /// <summary>What the steps went through: "424 steps, 431,992 examples (8 epochs of 53,999)"; a --max-steps cut shows its fraction of an epoch.</summary>
    public static string TrainedSummary(MetricsReport m)
    {
        var steps = m.Config.GetValueOrDefault("steps") switch
        {
            System.Text.Json.JsonElement e => e.GetInt64(), // a metrics.json read back from disk
            IConvertible c => c.ToInt64(CultureInfo.InvariantCulture),
            _ => 0,
        };
        var epochs = m.Examples.Train > 0 ? m.Examples.Seen / (double)m.Examples.Train : 0;
        var shown = epochs == Math.Round(epochs) ? epochs.ToString("N0", CultureInfo.InvariantCulture) : epochs.ToString("G3", CultureInfo.InvariantCulture);
        return $"{steps:N0} step{(steps == 1 ? "" : "s")}, {m.Examples.Seen:N0} examples ({shown} epoch{(epochs == 1 ? "" : "s")} of {m.Examples.Train:N0})";
    }

    public static void PrintMetrics(MetricsReport m, string outDir)
    {
        Console.WriteLine();
        Console.WriteLine($"{"slice",-6} {"R@10",8} {"R@50",8} {"R@100",8}   ({EvaluatedPairs(m)}; corpus {m.CorpusSize:N0})");
        foreach (var slice in new[] { "all", "head", "tail" })
            Console.WriteLine($"{slice,-6} {m.RecallAt(slice, 10),8:F4} {m.RecallAt(slice, 50),8:F4} {m.RecallAt(slice, 100),8:F4}");
        Console.WriteLine($"trained {TrainedSummary(m)} in {m.TrainSeconds:F1}s ({m.ExamplesPerSecond:N0} examples/s); evaluated in {m.EvalSeconds:F1}s");
        if (m.EmbeddingBytes is { } size)
            Console.WriteLine($"embedding tables as served: {size.Total / 1e6:F2} MB ({size.ShareOfFull * 100:F0}% of full float32 tables, {(size.FullQueryTower + size.FullItemTower) / 1e6:F2} MB)");
        if (m.CompactItems is { } pq && pq.RecallAll.Count > 0)
            Console.WriteLine($"compact item embeddings (product-quantized): {pq.Bytes / 1e6:F2} MB vs {pq.Float32Bytes / 1e6:F2} MB float32; R@10 {pq.RecallAll["10"]:F4}, R@50 {pq.RecallAll["50"]:F4} scored against them");
        Console.WriteLine($"wrote {Path.Combine(outDir, ModelOutput.Metrics)}");
    }
}
