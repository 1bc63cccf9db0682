using System.CommandLine;
using System.Globalization;
using SslRec.Core.Artifacts;
using SslRec.Core.Metrics;
using SslRec.Core.Options;
using SslRec.Core.Ssl;
using SslRec.Training;
using SslRec.Training.Model;

namespace SslRec.Cli.Commands;

public static class TrainCommand
{
    public static Command Create()
    {
        var d = new TrainingOptions();
        var data = new Option<string>("--data") { Description = "Dataset folder (schema.json + data files)", Required = true };
        var output = new Option<string>("--out") { Description = "Output folder (metrics.json, embeddings, model, checkpoints)", Required = true };
        var ssl = new Option<SslMode>("--ssl") { Description = SslAugmentations.OptionHelp, DefaultValueFactory = _ => d.Ssl };
        var alpha = new Option<double>("--alpha") { Description = "Weight of the SSL loss", DefaultValueFactory = _ => d.Alpha };
        var tau = new Option<double>("--tau") { Description = "Temperature of the main batch softmax", DefaultValueFactory = _ => d.Tau };
        var sslTau = new Option<double>("--ssl-tau") { Description = "Temperature of the SSL loss", DefaultValueFactory = _ => d.SslTau };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training data", DefaultValueFactory = _ => d.Epochs };
        var batch = new Option<int>("--batch-size") { Description = "Main-task batch size (in-batch negatives)", DefaultValueFactory = _ => d.BatchSize };
        var sslBatch = new Option<int>("--ssl-batch-size") { Description = "Items per SSL batch", DefaultValueFactory = _ => d.SslBatchSize };
        var lr = new Option<double>("--lr") { Description = "Learning rate", DefaultValueFactory = _ => d.LearningRate };
        var optimizer = new Option<OptimizerKind>("--optimizer") { Description = "adam or adagrad", DefaultValueFactory = _ => d.Optimizer };
        var embeddingOptimizer = new Option<EmbeddingOptimizerKind>("--embedding-optimizer")
        {
            Description = "Embedding tables: rowwiseadagrad or lazyadam (only the rows a step touched, with their state), or dense (--optimizer over whole tables)",
            DefaultValueFactory = _ => d.EmbeddingOptimizer,
        };
        var embeddingLr = new Option<double>("--embedding-lr") { Description = "Learning rate of the row-wise embedding optimizer (0: its default, --lr for lazyadam, 0.01 for rowwiseadagrad)", DefaultValueFactory = _ => d.EmbeddingLearningRate };
        var dim = new Option<int>("--embedding-dim") { Description = "Embedding size per feature", DefaultValueFactory = _ => d.EmbeddingDim };
        var hidden = new Option<string>("--hidden") { Description = "Hidden layer sizes, comma-separated", DefaultValueFactory = _ => string.Join(',', d.Hidden) };
        var outDim = new Option<int>("--output-dim") { Description = "Tower output size", DefaultValueFactory = _ => d.OutputDim };
        var dropout = new Option<double>("--dropout") { Description = "Feature dropout rate on multi-valued item features in SSL views", DefaultValueFactory = _ => d.DropoutRate };
        var spread = new Option<double>("--spread-out") { Description = "Weight of the spread-out regulariser (0 = off)", DefaultValueFactory = _ => d.SpreadOut };
        var sampling = new Option<SslSampling>("--ssl-sampling") { Description = "SSL item distribution: uniform, train or mix", DefaultValueFactory = _ => d.SslSampling };
        var mix = new Option<double>("--ssl-mix") { Description = "With --ssl-sampling mix: share drawn from the training distribution", DefaultValueFactory = _ => d.SslMix };
        var fraction = new Option<double>("--data-fraction") { Description = "Share of training rows to use (hold-out unchanged)", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<ulong>("--seed") { Description = "Random seed (model init, order, SSL sampling, masks)", DefaultValueFactory = _ => d.Seed };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda", DefaultValueFactory = _ => "auto" };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Checkpoint every N steps (0: only at the end)", DefaultValueFactory = _ => d.CheckpointEvery };
        var resume = new Option<bool>("--resume") { Description = "Continue from the newest checkpoint in OUT/checkpoints" };
        var maxBad = new Option<long>("--max-bad-rows") { Description = "Skip and count up to N unusable rows instead of failing", DefaultValueFactory = _ => 0 };
        var embedding = new Option<EmbeddingKind>("--embedding") { Description = "Embedding tables: full, dpq or mgqe (quantized; features whose vocabulary exceeds the codebook)", DefaultValueFactory = _ => d.Embedding };
        var dpqGroups = new Option<int>("--dpq-groups") { Description = "DPQ/MGQE: code groups per embedding (must divide --embedding-dim)", DefaultValueFactory = _ => d.DpqGroups };
        var dpqCentroids = new Option<int>("--dpq-centroids") { Description = "DPQ: centroids per group", DefaultValueFactory = _ => d.DpqCentroids };
        var mgqeCentroids = new Option<string>("--mgqe-centroids") { Description = "MGQE: centroids per frequency tier, head first", DefaultValueFactory = _ => string.Join(',', d.MgqeCentroids) };
        var mgqeShares = new Option<string>("--mgqe-tier-shares") { Description = "MGQE: share of the vocabulary (by frequency) in each tier but the last", DefaultValueFactory = _ => string.Join(',', d.MgqeTierShares.Select(x => x.ToString(CultureInfo.InvariantCulture))) };
        var relaxation = new Option<DpqRelaxation>("--dpq-relaxation") { Description = "How gradients pass the code choice: straightthrough or softmax", DefaultValueFactory = _ => d.DpqRelaxation };
        var dpqTemperature = new Option<double>("--dpq-temperature") { Description = "Temperature of the softmax over −distance", DefaultValueFactory = _ => d.DpqTemperature };
        var shuffleBuffer = new Option<int>("--shuffle-buffer") { Description = "Examples shuffled together: larger data is read a buffer of parts at a time", DefaultValueFactory = _ => d.ShuffleBuffer };
        var partMb = new Option<int>("--part-mb") { Description = "Read files larger than this (MB) as parts of about this size, as the pipeline's map shards", DefaultValueFactory = _ => 64 };
        var maxEval = new Option<int>("--max-eval-queries") { Description = "Evaluate at most this many held-out pairs, evenly spaced (0: all)", DefaultValueFactory = _ => d.MaxEvalQueries };
        var maxSteps = new Option<int>("--max-steps") { Description = "Stop after this many steps in total (0: all epochs)", DefaultValueFactory = _ => 0 };

        var command = new Command("train", "Train and evaluate a two-tower model on a local dataset")
        {
            data, output, ssl, alpha, tau, sslTau, epochs, batch, sslBatch, lr, optimizer, embeddingOptimizer, embeddingLr, dim, hidden, outDim,
            dropout, spread, sampling, mix, fraction, seed, device, checkpointEvery, resume, maxBad, maxSteps,
            embedding, dpqGroups, dpqCentroids, mgqeCentroids, mgqeShares, relaxation, dpqTemperature, shuffleBuffer, partMb, maxEval,
        };
        command.SetAction((parse, cancel) => CommandRunner.RunAsync(() =>
        {
            var options = new TrainingOptions
            {
                Ssl = parse.GetValue(ssl), Alpha = parse.GetValue(alpha), Tau = parse.GetValue(tau), SslTau = parse.GetValue(sslTau),
                Epochs = parse.GetValue(epochs), BatchSize = parse.GetValue(batch), SslBatchSize = parse.GetValue(sslBatch),
                LearningRate = parse.GetValue(lr), Optimizer = parse.GetValue(optimizer),
                EmbeddingOptimizer = parse.GetValue(embeddingOptimizer), EmbeddingLearningRate = parse.GetValue(embeddingLr), EmbeddingDim = parse.GetValue(dim),
                Hidden = ParseSizes("--hidden", parse.GetValue(hidden)!), OutputDim = parse.GetValue(outDim), DropoutRate = parse.GetValue(dropout),
                SpreadOut = parse.GetValue(spread), SslSampling = parse.GetValue(sampling), SslMix = parse.GetValue(mix),
                Seed = parse.GetValue(seed), CheckpointEvery = parse.GetValue(checkpointEvery), MaxSteps = parse.GetValue(maxSteps),
                Embedding = parse.GetValue(embedding), DpqGroups = parse.GetValue(dpqGroups), DpqCentroids = parse.GetValue(dpqCentroids),
                MgqeCentroids = ParseSizes("--mgqe-centroids", parse.GetValue(mgqeCentroids)!), MgqeTierShares = ParseShares(parse.GetValue(mgqeShares)!),
                DpqRelaxation = parse.GetValue(relaxation), DpqTemperature = parse.GetValue(dpqTemperature),
                ShuffleBuffer = parse.GetValue(shuffleBuffer), MaxEvalQueries = parse.GetValue(maxEval),
            };
            var partBytes = parse.GetValue(partMb) is var mb and > 0 ? mb * (1L << 20) : throw new ArgumentException("--part-mb must be at least 1");
            using var progress = new ConsoleProgress();
            var outDir = parse.GetValue(output)!;
            var metrics = TrainJob.Run(new TrainJobOptions
            {
                DataDirectory = parse.GetValue(data)!, OutputDirectory = outDir, Training = options,
                Device = parse.GetValue(device)!, DataFraction = parse.GetValue(fraction), MaxBadRows = parse.GetValue(maxBad),
                Resume = parse.GetValue(resume), Log = progress.Log, Progress = progress.Report, PartBytes = partBytes,
            }, cancel);
            progress.Finish();
            PrintMetrics(metrics, outDir);
            return Task.CompletedTask;
        }));
        return command;
    }

    private static int[] ParseSizes(string option, string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : throw new ArgumentException($"{option}: '{s}' is not a positive integer"))
            .ToArray();

    private static double[] ParseShares(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"--mgqe-tier-shares: '{s}' is not a number"))
            .ToArray();

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
