using SslRec.Core.Data;
using SslRec.Core.Options;
using SslRec.Core.Schema;
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
        : this(FeatureEmbeddingPlan.For(data.QueryVocabularies, o), FeatureEmbeddingPlan.For(data.ItemVocabularies, o), o, Ties(data.Schema))
    {
    }

    /// <param name="ties">per query feature, the index of the item feature whose table it shares (null: its own)</param>
    public TwoTowerModel(IReadOnlyList<FeatureEmbeddingPlan> queryPlans, IReadOnlyList<FeatureEmbeddingPlan> itemPlans, TrainingOptions o,
        IReadOnlyList<int?>? ties = null) : base("two_tower")
    {
        // The item tower owns a tied table (one parameter: stored once, one optimiser state, moved by
        // gradients from both towers); the query tower uses the same module.
        if (ties is null || ties.All(t => t is null))
        {
            // untied: query tower first, the initialisation order every earlier model was trained with
            query = new Tower("query", queryPlans, o);
            item = new Tower("item", itemPlans, o);
        }
        else
        {
            item = new Tower("item", itemPlans, o);
            query = new Tower("query", queryPlans, o, ties.Select(t => t is { } j ? item.EmbeddingModule(j) : null).ToList());
        }
        RegisterComponents();
    }

    /// <summary>Per query feature, the item feature index it is tied to (schema "shares"), or null.</summary>
    public static int?[] Ties(DatasetSchema schema) =>
        schema.Query.Select(f => f.Shares is { } s ? schema.Item.ToList().FindIndex(i => i.Name == s) : (int?)null).ToArray();

    public Tower QueryTower => query;
    public Tower ItemTower => item;
}
