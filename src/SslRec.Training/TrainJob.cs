using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SslRec.Core.Artifacts;
using SslRec.Core.Checkpoints;
using SslRec.Core.Data;
using SslRec.Core.Metrics;
using SslRec.Core.Options;
using SslRec.Core.Statistics;
using SslRec.Core.Vocab;
using SslRec.Training.Evaluation;
using SslRec.Training.Export;
using SslRec.Training.Loop;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Training;

public sealed record TrainJobOptions
{
    public required string DataDirectory { get; init; }
    public required string OutputDirectory { get; init; }
    public TrainingOptions Training { get; init; } = new();
    public string Device { get; init; } = "auto";
    public double DataFraction { get; init; } = 1.0;
    public long MaxBadRows { get; init; }
    /// <summary>Continue from the newest checkpoint in OUT/checkpoints when there is one.</summary>
    public bool Resume { get; init; }
    /// <summary>Files larger than this are read in shards of about this size, as the pipeline's map shards (each becomes an example part).</summary>
    public long ShardTargetBytes { get; init; } = 64L << 20;
    public Action<string>? Log { get; init; }
    public Action<TrainingProgress>? Progress { get; init; }
}

/// <summary>
/// `sslrec train`: read and encode the dataset, compute item-feature statistics, train (with
/// checkpoints), evaluate exact full-corpus Recall@K on the hold-out and write everything to OUT:
/// metrics.json, loss.csv, feature_mi.json, embeddings/items.f32 + ids.txt, model/, checkpoints/.
/// </summary>
public static class TrainJob
{
    public static MetricsReport Run(TrainJobOptions job, CancellationToken cancel = default)
    {
        var log = job.Log ?? (_ => { });
        job.Training.Validate();
        var device = TorchSetup.ResolveDevice(job.Device);
        Directory.CreateDirectory(job.OutputDirectory);

        var read = Stopwatch.StartNew();
        var data = DatasetEncoder.Read(job.DataDirectory, new DatasetReadOptions
        {
            DataFraction = job.DataFraction,
            MaxBadRows = job.MaxBadRows,
            ShardTargetBytes = job.ShardTargetBytes,
            Progress = (file, rows) => log($"reading {Path.GetFileName(file)}: {rows:N0} rows"),
        });
        var r = data.Report;
        log($"read {r.RowsRead:N0} rows in {read.Elapsed.TotalSeconds:F1}s: {r.TrainRows:N0} train, {r.EvalRows:N0} held out, {data.CorpusSize:N0} items, {data.Train.PartCount} parts" +
            (r.BadRows > 0 ? $", {r.BadRows} bad rows skipped (first: {r.BadRowMessages[0]})" : ""));

        var store = new LocalCheckpointStore(Path.Combine(job.OutputDirectory, "checkpoints"));
        return TrainAndEvaluate(data, job.Training, device, store, job.Resume, job.OutputDirectory, log, job.Progress, job.DataFraction, cancel);
    }

    /// <summary>
    /// Trains (resuming from the store's newest checkpoint when asked), evaluates, and writes the outputs
    /// to <paramref name="outputDirectory"/>. Shared by `sslrec train` and the pipeline's training worker.
    /// </summary>
    public static MetricsReport TrainAndEvaluate(EncodedDataset data, TrainingOptions options, Device device, ICheckpointStore store,
        bool resume, string outputDirectory, Action<string> log, Action<TrainingProgress>? progress, double dataFraction = 1.0,
        CancellationToken cancel = default, string? warmStartFrom = null, DateTimeOffset? suspendAt = null)
    {
        Directory.CreateDirectory(outputDirectory);
        var mi = MutualInformation.Compute(data.Items, data.ItemTrainCounts);
        WriteMutualInformation(Path.Combine(outputDirectory, ModelOutput.FeatureMutualInformation), data, mi);

        using var trainer = new Trainer(data, options, device, mi);
        if (resume && trainer.TryResume(store))
            log($"resumed from checkpoint at step {trainer.State.Step}/{trainer.State.TotalSteps}");
        else if (warmStartFrom is not null)
        {
            var w = WarmStart.Apply(trainer.Model, data, warmStartFrom);
            log($"warm start: {w.RowsCopied:N0} embedding rows of {w.FeaturesMatched} features and {w.LayersCopied} tower layers from the previous model");
        }
        log($"training on {device.type}: {Plan(trainer)}, ssl={options.Ssl.ToString().ToLowerInvariant()}, α={options.Alpha}");
        var deviceIsHost = device.type != TorchSharp.DeviceType.CUDA;
        log($"memory: {trainer.Memory.Summary(deviceIsHost)}" +
            (trainer.AvailableMemory is { } available ? $"; {ModelMemory.Size(available.Bytes)} available ({available.Source})" : "; the device does not say what it has available"));
        trainer.Train(store, progress, cancel, suspendAt); // throws TrainingSuspendedException at suspendAt, after a checkpoint
        WriteLosses(Path.Combine(outputDirectory, ModelOutput.Losses), trainer.State.Losses);

        var evalClock = Stopwatch.StartNew();
        using var itemEmbeddings = Embeddings.Encode(trainer.Model.ItemTower, data.Items, device);
        // Product-quantize the item embeddings (4 dimensions per one-byte code, 256 centroids) and rank the
        // held-out pairs against both the float32 and the reconstructed items in one pass over the hold-out.
        var dim = (int)itemEmbeddings.shape[1];
        var pq = ProductQuantizer.Fit(itemEmbeddings, groups: dim % 4 == 0 ? dim / 4 : dim, seed: trainer.Options.Seed);
        var codes = pq.Encode(itemEmbeddings);
        using var decoded = pq.Decode(codes);
        using var compactItems = decoded.to(device);
        var evaluating = options.MaxEvalQueries > 0 ? Math.Min(options.MaxEvalQueries, data.Eval.Count) : data.Eval.Count;
        // Exact ranks cost queries × corpus × dim per item matrix: on 2 CPU cores ~450 queries/s over 1M items,
        // so a large hold-out against a large corpus takes a while; say so before it starts.
        log($"evaluating {evaluating:N0} held-out pairs against {data.CorpusSize:N0} items (float32 and product-quantized vectors) on {device.type}");
        var held = HeldOutRanks.Compute(trainer.Model.QueryTower, data.Eval, data.Schema.Query, [itemEmbeddings, compactItems], device, options.MaxEvalQueries);
        log($"evaluated in {evalClock.Elapsed.TotalSeconds:F1}s");
        var metrics = Evaluate(trainer, data, held.Targets, held.Ranks[0], held.Available);
        var embeddingsDirectory = Path.Combine(outputDirectory, ModelOutput.EmbeddingsFolder);
        EmbeddingFiles.WriteCompact(embeddingsDirectory, pq, codes);
        metrics.CompactItems = new MetricsReport.CompactItemsInfo(codes.Length + pq.Codebook.Length * sizeof(float), itemEmbeddings.numel() * sizeof(float),
            RecallAtK.Compute(held.Ranks[1], RecallAtK.DefaultKs, null).ToDictionary(e => e.Key.ToString(CultureInfo.InvariantCulture), e => e.Value));
        metrics.EvalSeconds = evalClock.Elapsed.TotalSeconds;
        metrics.DataFraction = dataFraction;
        File.WriteAllText(Path.Combine(outputDirectory, ModelOutput.Metrics), metrics.ToJson());
        EmbeddingFiles.Write(embeddingsDirectory, itemEmbeddings, data.ItemKeys);
        ModelBundle.Save(Path.Combine(outputDirectory, ModelOutput.ModelFolder), data, options, trainer.Model);
        ModelBundle.SaveQueryTower(Path.Combine(outputDirectory, ModelOutput.QueryTowerFolder), data, options, trainer.Model);
        return metrics;
    }

    /// <summary>The steps this training will run, as a user reads them: "424 steps (53/epoch × 8 epochs)", or the --max-steps cut.</summary>
    public static string Plan(Trainer trainer)
    {
        var total = trainer.State.TotalSteps;
        var max = trainer.Options.MaxSteps;
        var epochs = trainer.Options.Epochs;
        return max > 0 && max < total
            ? $"{max:N0} steps (--max-steps {max:N0}; {epochs} epochs would be {total:N0} steps of {trainer.StepsPerEpoch:N0}/epoch)"
            : $"{total:N0} steps ({trainer.StepsPerEpoch:N0}/epoch × {epochs} epoch{(epochs == 1 ? "" : "s")})";
    }

    /// <summary>Recall@10/50/100 over all held-out pairs (or the capped sample) and over those whose item is head or tail.</summary>
    public static MetricsReport Evaluate(Trainer trainer, EncodedDataset data, Tensor itemEmbeddings, Device device)
    {
        var held = HeldOutRanks.Compute(trainer.Model.QueryTower, data.Eval, data.Schema.Query, [itemEmbeddings], device, trainer.Options.MaxEvalQueries);
        return Evaluate(trainer, data, held.Targets, held.Ranks[0], held.Available);
    }

    private static MetricsReport Evaluate(Trainer trainer, EncodedDataset data, int[] targets, int[] ranks, long heldOut)
    {
        var o = trainer.State;
        var slices = new FrequencySlices(data.ItemTrainCounts);

        var last = o.Losses.Count > 0 ? o.Losses[^1] : null;
        var options = trainer.Options;
        return new MetricsReport
        {
            Recall = SameDataRecall.BySlice(data, targets, ranks),
            Slices = new MetricsReport.SliceInfo
            {
                TailDefinition = slices.Definition,
                HeadItems = slices.HeadItems,
                TailItems = slices.TailItems,
                HeadThreshold = slices.Threshold,
                EvalHead = targets.Count(t => slices.IsHead[t]),
                EvalTail = targets.Count(t => !slices.IsHead[t]),
            },
            Examples = new MetricsReport.ExampleCounts { Train = data.Train.Count, Eval = heldOut, Evaluated = targets.Length < heldOut ? targets.Length : null, Seen = o.ExamplesSeen },
            CorpusSize = data.CorpusSize,
            // Every option, under the keys metrics.json has always used; the embedding learning rate as the one in effect.
            Config = new(TrainingOptionDescriptors.Recorded(options))
            {
                ["embedding_learning_rate"] = options.EmbeddingOptimizer == EmbeddingOptimizerKind.Dense ? options.LearningRate : RowWiseOptimizer.LearningRateOf(options),
                ["steps"] = o.Step,
            },
            TrainSeconds = o.TrainSeconds,
            ExamplesPerSecond = o.TrainSeconds > 0 ? o.ExamplesSeen / o.TrainSeconds : 0,
            FinalLoss = last is null ? null : new MetricsReport.LossSnapshot(last.Total, last.Main, last.Ssl),
            EmbeddingBytes = new MetricsReport.EmbeddingSize(
                // a tied table counts once, with the item tower that owns it
                trainer.Model.QueryTower.EmbeddingServingBytes(includeShared: false), trainer.Model.ItemTower.EmbeddingServingBytes(),
                FullTableBytes(data.QueryVocabularies.Where((_, f) => data.Schema.Query[f].Shares is null), options), FullTableBytes(data.ItemVocabularies, options)),
        };
    }

    private static long FullTableBytes(IEnumerable<Vocabulary> vocabularies, TrainingOptions o) =>
        vocabularies.Sum(v => (long)v.Size * o.EmbeddingDim * sizeof(float));

    private static void WriteLosses(string path, IReadOnlyList<LossRecord> losses)
    {
        var sb = new StringBuilder("step,epoch,total,main,ssl,spread_out\n");
        foreach (var l in losses)
            sb.Append(CultureInfo.InvariantCulture, $"{l.Step},{l.Epoch},{l.Total:G6},{l.Main:G6},{l.Ssl:G6},{l.SpreadOut:G6}\n");
        File.WriteAllText(path, sb.ToString());
    }

    private static void WriteMutualInformation(string path, EncodedDataset data, double[,] mi)
    {
        var names = data.Schema.Item.Select(f => f.Name).ToArray();
        var matrix = Enumerable.Range(0, names.Length).Select(i => Enumerable.Range(0, names.Length).Select(j => Math.Round(mi[i, j], 6)).ToArray()).ToArray();
        var cfm = names.Length >= 2 ? new Augmentation.CorrelatedFeatureMasking(mi) : null;
        var groups = cfm is null ? [] : Enumerable.Range(0, names.Length).ToDictionary(s => names[s], s => cfm.MaskSet(s).Select(f => names[f]).ToArray());
        File.WriteAllText(path, JsonSerializer.Serialize(new { features = names, mutual_information_nats = matrix, cfm_mask_sets_by_seed = groups },
            new JsonSerializerOptions { WriteIndented = true }));
    }
}
