using SslRec.Core.Data;
using SslRec.Training.Augmentation;
using SslRec.Training.Losses;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Training.Tasks;

/// <summary>
/// The spread-out regulariser (the paper's non-SSL baseline for tail items): pushes the vectors of distinct,
/// uniformly sampled items apart.
/// </summary>
internal sealed class SpreadOutTerm(EncodedTable items, ItemSampler uniform, int batchSize, double weight, Device device) : ILossTerm
{
    public double Weight => weight;
    public LossTermKind Kind => LossTermKind.SpreadOut;

    public Func<TwoTowerModel, Tensor> Assemble(StepInputs step)
    {
        var batch = FeatureBatchBuilder.Build(items, uniform.Sample(step.Rng, batchSize).Distinct().ToArray(), device, sparse: step.ItemSlots);
        return model => RetrievalLosses.SpreadOut(model.ItemTower.call(batch));
    }
}
