using SslRec.Core.Data;
using SslRec.Core.Options;
using SslRec.Core.Ssl;
using SslRec.Core.Statistics;
using SslRec.Training.Augmentation;
using static TorchSharp.torch;

namespace SslRec.Training.Tasks;

/// <summary>The loss terms a training with these options adds to the main task, in the order they draw from a step's generator.</summary>
internal static class LossTerms
{
    public static IReadOnlyList<ILossTerm> For(EncodedDataset data, TrainingOptions o, ItemFeatureStatistics items, Device device)
    {
        var terms = new List<ILossTerm>();
        if (SslAugmentations.Active(o) is { } augmentation)
        {
            if (augmentation.NeedsMutualInformation) _ = items.MutualInformation; // computed now, not inside the first step
            terms.Add(new SslTask(data.Items, augmentation.Start(new AugmentationInputs(items, o.DropoutRate)),
                new ItemSampler(data.ItemTrainCounts, o.SslSampling, o.SslMix), o.SslBatchSize, o.SslTau, o.Alpha, device));
        }
        if (o.SpreadOut > 0)
            terms.Add(new SpreadOutTerm(data.Items, new ItemSampler(data.ItemTrainCounts, SslSampling.Uniform, 0), o.SslBatchSize, o.SpreadOut, device));
        return terms;
    }
}
