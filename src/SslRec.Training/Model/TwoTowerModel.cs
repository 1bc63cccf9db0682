using SslRec.Core.Data;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SslRec.Training.Model;

/// <summary>Query tower and item tower; the item tower also encodes the SSL views of items.</summary>
public sealed class TwoTowerModel : Module
{
    private readonly Tower query;
    private readonly Tower item;

    public TwoTowerModel(EncodedDataset data, TrainingOptions o)
        : this(FeatureEmbeddingPlan.For(data.QueryVocabularies, o), FeatureEmbeddingPlan.For(data.ItemVocabularies, o), o)
    {
    }

    public TwoTowerModel(IReadOnlyList<FeatureEmbeddingPlan> queryPlans, IReadOnlyList<FeatureEmbeddingPlan> itemPlans, TrainingOptions o) : base("two_tower")
    {
        query = new Tower("query", queryPlans, o);
        item = new Tower("item", itemPlans, o);
        RegisterComponents();
    }

    public Tower QueryTower => query;
    public Tower ItemTower => item;
}
