using System.Globalization;
using SslRec.Core.Data;
using SslRec.Core.Metrics;
using SslRec.Core.Statistics;
using SslRec.Training.Export;
using SslRec.Training.Loop;
using SslRec.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SslRec.Training.Evaluation;

/// <summary>
/// Recall@K of an earlier model (a published one's full bundle) on another dataset version's hold-out and
/// corpus, so a publish gate compares two models on the same data: a model's Recall on its own version is
/// not comparable with another's on a different one (a larger corpus alone lowers Recall@K). The earlier
/// model is laid onto the new vocabularies as a warm start does (rows matched by value, tower layers
/// copied); values it never saw keep a fresh initialisation, much as they would be unknown to it in serving.
/// </summary>
public static class SameDataRecall
{
    public static Dictionary<string, Dictionary<string, double>> Compute(EncodedDataset data, string bundleDirectory, Device device, int maxEvalQueries)
    {
        var (_, options, _, loaded) = ModelBundle.Load(bundleDirectory);
        loaded.Dispose();
        using var model = TorchSetup.CreateSeeded(options.Seed, () => new TwoTowerModel(data, options));
        model.to(device);
        WarmStart.Apply(model, data, bundleDirectory);
        using var items = Embeddings.Encode(model.ItemTower, data.Items, device);
        var held = HeldOutRanks.Compute(model.QueryTower, data.Eval, data.Schema.Query, [items], device, maxEvalQueries);
        return BySlice(data, held.Targets, held.Ranks[0]);
    }

    /// <summary>Recall@10/50/100 over all pairs and over those whose item is head or tail (the slices metrics.json reports).</summary>
    public static Dictionary<string, Dictionary<string, double>> BySlice(EncodedDataset data, int[] targets, int[] ranks)
    {
        var slices = new FrequencySlices(data.ItemTrainCounts);
        Dictionary<string, double> Slice(Func<int, bool>? include) =>
            RecallAtK.Compute(ranks, RecallAtK.DefaultKs, include).ToDictionary(e => e.Key.ToString(CultureInfo.InvariantCulture), e => e.Value);
        return new()
        {
            ["all"] = Slice(null),
            ["head"] = Slice(i => slices.IsHead[targets[i]]),
            ["tail"] = Slice(i => !slices.IsHead[targets[i]]),
        };
    }
}
