using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SslRec.Training.Model;

/// <summary>
/// One tower: an embedding per feature (bags pooled by mean), concatenated, an MLP with ReLU between
/// layers, and an L2-normalised output so that a dot product of two outputs is their cosine.
/// </summary>
public sealed class Tower : Module<FeatureBatch, Tensor>
{
    private readonly ModuleList<EmbeddingBag> embeddings;
    private readonly Sequential mlp;

    public Tower(string name, IReadOnlyList<int> vocabularySizes, int embeddingDim, IReadOnlyList<int> hidden, int outputDim) : base(name)
    {
        embeddings = new ModuleList<EmbeddingBag>();
        foreach (var size in vocabularySizes)
        {
            var bag = EmbeddingBag(size, embeddingDim, mode: EmbeddingBagMode.Sum);
            using (no_grad()) init.normal_(bag.weight!, 0, 1.0 / Math.Sqrt(embeddingDim));
            embeddings.Add(bag);
        }
        var layers = new List<Module<Tensor, Tensor>>();
        var width = vocabularySizes.Count * embeddingDim;
        foreach (var h in hidden)
        {
            layers.Add(Linear(width, h));
            layers.Add(ReLU());
            width = h;
        }
        layers.Add(Linear(width, outputDim));
        mlp = Sequential(layers);
        RegisterComponents();
    }

    public int FeatureCount => embeddings.Count;

    /// <summary>The embedding table of one feature (row 0 is the "missing / masked" embedding).</summary>
    public Parameter EmbeddingTable(int feature) => embeddings[feature].weight!;

    public override Tensor forward(FeatureBatch batch)
    {
        var pooled = new Tensor[embeddings.Count];
        for (var f = 0; f < embeddings.Count; f++)
        {
            pooled[f] = batch.IsMasked(f)
                ? EmbeddingTable(f)[0].unsqueeze(0).expand(batch.Rows, -1)
                : embeddings[f].call(batch.Ids[f]!, batch.Offsets[f], batch.Weights[f]);
        }
        return functional.normalize(mlp.call(cat(pooled, 1)), p: 2, dim: 1);
    }
}
