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
        : this(data.QueryVocabularies.Select(v => v.Size).ToList(), data.ItemVocabularies.Select(v => v.Size).ToList(), o)
    {
    }

    public TwoTowerModel(IReadOnlyList<int> queryVocabularySizes, IReadOnlyList<int> itemVocabularySizes, TrainingOptions o) : base("two_tower")
    {
        query = new Tower("query", queryVocabularySizes, o.EmbeddingDim, o.Hidden, o.OutputDim);
        item = new Tower("item", itemVocabularySizes, o.EmbeddingDim, o.Hidden, o.OutputDim);
        RegisterComponents();
    }

    public Tower QueryTower => query;
    public Tower ItemTower => item;
}
