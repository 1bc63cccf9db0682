using System.Diagnostics;
using System.Globalization;
using SslRec.Core.Data;
using SslRec.Core.Metrics;
using SslRec.Core.Options;
using SslRec.Core.Statistics;
using SslRec.Core.Vocab;
using SslRec.Training.Export;
using SslRec.Training.Loop;
using static TorchSharp.torch;

namespace SslRec.Training.Evaluation;

public sealed record EvaluationOptions
{
    /// <summary>
    /// Also product-quantize the item vectors (what a version publishes beside them) and rank the hold-out
    /// against the reconstructed ones in the same pass. Experiments, which publish nothing, leave it off.
    /// </summary>
    public bool CompactItems { get; init; } = true;
    /// <summary>Share of the training rows the data was read with (reported in metrics.json).</summary>
    public double DataFraction { get; init; } = 1.0;
    public Action<string> Log { get; init; } = _ => { };
}

/// <summary>The product-quantized item vectors: the quantizer (its codebook) and each item's codes.</summary>
public sealed record CompactItems(ProductQuantizer Quantizer, byte[] Codes);

/// <summary>An evaluated model: its metrics, and the item vectors it was evaluated with (what is published).</summary>
public sealed class EvaluatedModel(MetricsReport metrics, Tensor itemEmbeddings, CompactItems? compact) : IDisposable
{
    public MetricsReport Metrics { get; } = metrics;
    /// <summary>[corpus × dim] unit item vectors on the training device.</summary>
    public Tensor ItemEmbeddings { get; } = itemEmbeddings;
    public CompactItems? Compact { get; } = compact;

    public void Dispose() => ItemEmbeddings.Dispose();
}

/// <summary>
/// Evaluate: a trained model in, metrics out — exact full-corpus Recall@10/50/100 of the held-out pairs
/// (or the capped, evenly spaced sample) for all, head and tail items, with the training's counts, speed
/// and serving sizes.
/// </summary>
public static class ModelEvaluation
{
    public static EvaluatedModel Evaluate(TrainedModel trained, EncodedDataset data, Device device, EvaluationOptions? options = null)
    {
        options ??= new EvaluationOptions();
        var clock = Stopwatch.StartNew();
        var itemEmbeddings = Embeddings.Encode(trained.Model.ItemTower, data.Items, device);
        try
        {
            CompactItems? compact = null;
            Tensor? decoded = null, compactItems = null;
            if (options.CompactItems)
            {
                // 4 dimensions per one-byte code, 256 centroids; ranked against both item matrices in one pass over the hold-out.
                var dim = (int)itemEmbeddings.shape[1];
                var pq = ProductQuantizer.Fit(itemEmbeddings, groups: dim % 4 == 0 ? dim / 4 : dim, seed: trained.Options.Seed);
                compact = new CompactItems(pq, pq.Encode(itemEmbeddings));
                decoded = pq.Decode(compact.Codes);
                compactItems = decoded.to(device);
            }
            using (decoded)
            using (compactItems)
            {
                var o = trained.Options;
                var evaluating = o.MaxEvalQueries > 0 ? Math.Min(o.MaxEvalQueries, data.Eval.Count) : data.Eval.Count;
                // Exact ranks cost queries × corpus × dim per item matrix: on 2 CPU cores ~450 queries/s over 1M items,
                // so a large hold-out against a large corpus takes a while; say so before it starts.
                options.Log($"evaluating {evaluating:N0} held-out pairs against {data.CorpusSize:N0} items ({(compact is null ? "float32" : "float32 and product-quantized")} vectors) on {device.type}");
                var held = HeldOutRanks.Compute(trained.Model.QueryTower, data.Eval, data.Schema.Query,
                    compactItems is null ? [itemEmbeddings] : [itemEmbeddings, compactItems], device, o.MaxEvalQueries);
                options.Log($"evaluated in {clock.Elapsed.TotalSeconds:F1}s");
                var metrics = Metrics(trained, data, held.Targets, held.Ranks[0], held.Available);
                if (compact is not null)
                    metrics.CompactItems = new MetricsReport.CompactItemsInfo(compact.Codes.Length + compact.Quantizer.Codebook.Length * sizeof(float), itemEmbeddings.numel() * sizeof(float),
                        RecallAtK.Compute(held.Ranks[1], RecallAtK.DefaultKs, null).ToDictionary(e => e.Key.ToString(CultureInfo.InvariantCulture), e => e.Value));
                metrics.EvalSeconds = clock.Elapsed.TotalSeconds;
                metrics.DataFraction = options.DataFraction;
                return new EvaluatedModel(metrics, itemEmbeddings, compact);
            }
        }
        catch
        {
            itemEmbeddings.Dispose();
            throw;
        }
    }

    /// <summary>The metrics of a model whose item vectors the caller has encoded already.</summary>
    public static MetricsReport Metrics(TrainedModel trained, EncodedDataset data, Tensor itemEmbeddings, Device device)
    {
        var held = HeldOutRanks.Compute(trained.Model.QueryTower, data.Eval, data.Schema.Query, [itemEmbeddings], device, trained.Options.MaxEvalQueries);
        return Metrics(trained, data, held.Targets, held.Ranks[0], held.Available);
    }

    private static MetricsReport Metrics(TrainedModel trained, EncodedDataset data, int[] targets, int[] ranks, long heldOut)
    {
        var state = trained.State;
        var options = trained.Options;
        var slices = new FrequencySlices(data.ItemTrainCounts);
        var last = state.Losses.Count > 0 ? state.Losses[^1] : null;
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
            Examples = new MetricsReport.ExampleCounts { Train = data.Train.Count, Eval = heldOut, Evaluated = targets.Length < heldOut ? targets.Length : null, Seen = state.ExamplesSeen },
            CorpusSize = data.CorpusSize,
            // Every option, under the keys metrics.json has always used; the embedding learning rate as the one in effect.
            Config = new(TrainingOptionDescriptors.Recorded(options))
            {
                ["embedding_learning_rate"] = options.EmbeddingOptimizer == EmbeddingOptimizerKind.Dense ? options.LearningRate : RowWiseOptimizer.LearningRateOf(options),
                ["steps"] = state.Step,
            },
            TrainSeconds = state.TrainSeconds,
            ExamplesPerSecond = state.TrainSeconds > 0 ? state.ExamplesSeen / state.TrainSeconds : 0,
            FinalLoss = last is null ? null : new MetricsReport.LossSnapshot(last.Total, last.Main, last.Ssl),
            EmbeddingBytes = new MetricsReport.EmbeddingSize(
                // a tied table counts once, with the item tower that owns it
                trained.Model.QueryTower.EmbeddingServingBytes(includeShared: false), trained.Model.ItemTower.EmbeddingServingBytes(),
                FullTableBytes(data.QueryVocabularies.Where((_, f) => data.Schema.Query[f].Shares is null), options), FullTableBytes(data.ItemVocabularies, options)),
        };
    }

    private static long FullTableBytes(IEnumerable<Vocabulary> vocabularies, TrainingOptions o) =>
        vocabularies.Sum(v => (long)v.Size * o.EmbeddingDim * sizeof(float));
}
