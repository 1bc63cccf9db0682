using SslRec.Core.Data;
using SslRec.Core.Ssl;
using SslRec.Training.Augmentation;
using SslRec.Training.Losses;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Training.Tasks;

/// <summary>
/// The SSL task (Yao et al. 2021, §3): items sampled separately from the corpus (uniformly by default, so
/// tail items get signal), two views of each from the augmentation, both through the shared item tower;
/// InfoNCE with its own temperature pulls an item's views together and pushes the batch's other items away.
/// </summary>
internal sealed class SslTask(EncodedTable items, IViewSampler views, ItemSampler sampler, int batchSize, double tau, double alpha, Device device) : ILossTerm
{
    public double Weight => alpha;
    public LossTermKind Kind => LossTermKind.Ssl;

    public Func<TwoTowerModel, Tensor> Assemble(StepInputs step)
    {
        var sslItems = sampler.Sample(step.Rng, batchSize);
        var (first, second) = views.Sample(step.Rng);
        var view1 = FeatureBatchBuilder.Build(items, sslItems, device, first.Masked, first.DropRate, step.Rng, step.ItemSlots);
        var view2 = FeatureBatchBuilder.Build(items, sslItems, device, second.Masked, second.DropRate, step.Rng, step.ItemSlots);
        // the ids let the loss tell a duplicate draw of the same item from a negative
        var ids = HostTensors.Int64(sslItems, device);
        return model => RetrievalLosses.InfoNce(model.ItemTower.call(view1), model.ItemTower.call(view2), tau, ids);
    }
}
