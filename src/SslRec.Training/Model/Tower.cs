using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SslRec.Training.Model;

/// <summary>
/// One tower: an embedding per feature (bags pooled by mean; a full table, or a DPQ/MGQE quantized one),
/// concatenated, an MLP with ReLU between layers, and an L2-normalised output so that a dot product of
/// two outputs is their cosine.
/// </summary>
public sealed class Tower : Module<FeatureBatch, Tensor>
{
    // EmbeddingBag or QuantizedEmbedding per feature; full tables keep the parameter name
    // "embeddings.{f}.weight" that earlier bundles and checkpoints use.
    private readonly ModuleList<Module> embeddings;
    private readonly Sequential mlp;

    public Tower(string name, IReadOnlyList<FeatureEmbeddingPlan> plans, TrainingOptions o) : base(name)
    {
        var embeddingDim = o.EmbeddingDim;
        embeddings = new ModuleList<Module>();
        for (var f = 0; f < plans.Count; f++)
        {
            if (plans[f].Quantized)
            {
                embeddings.Add(new QuantizedEmbedding($"dpq{f}", plans[f], embeddingDim, o.DpqGroups, o.DpqRelaxation, o.DpqTemperature));
                continue;
            }
            var bag = EmbeddingBag(plans[f].Size, embeddingDim, mode: EmbeddingBagMode.Sum);
            using (no_grad()) init.normal_(bag.weight!, 0, 1.0 / Math.Sqrt(embeddingDim));
            embeddings.Add(bag);
        }
        var layers = new List<Module<Tensor, Tensor>>();
        var width = plans.Count * embeddingDim;
        foreach (var h in o.Hidden)
        {
            layers.Add(Linear(width, h));
            layers.Add(ReLU());
            width = h;
        }
        layers.Add(Linear(width, o.OutputDim));
        mlp = Sequential(layers);
        RegisterComponents();
    }

    public int FeatureCount => embeddings.Count;

    /// <summary>
    /// The per-id trained table of one feature (row 0 is the "missing / masked" id): the embeddings of a
    /// full table, the query vectors of a quantized one.
    /// </summary>
    public Parameter EmbeddingTable(int feature) => embeddings[feature] switch
    {
        EmbeddingBag bag => bag.weight!,
        QuantizedEmbedding q => q.QueryTable,
        var m => throw new InvalidOperationException($"unexpected embedding module {m.GetType().Name}"),
    };

    /// <summary>The quantized embedding of a feature, or null for a full table.</summary>
    public QuantizedEmbedding? Quantized(int feature) => embeddings[feature] as QuantizedEmbedding;

    /// <summary>Bytes of embedding parameters as stored for serving (float32 tables; codes + codebooks when quantized).</summary>
    public long EmbeddingServingBytes() => Enumerable.Range(0, FeatureCount)
        .Sum(f => Quantized(f)?.ServingBytes() ?? EmbeddingTable(f).numel() * sizeof(float));

    public override Tensor forward(FeatureBatch batch)
    {
        var pooled = new Tensor[embeddings.Count];
        for (var f = 0; f < embeddings.Count; f++)
        {
            var module = embeddings[f];
            if (batch.IsMasked(f))
                pooled[f] = (module is QuantizedEmbedding mq ? mq.MissingEmbedding() : EmbeddingTable(f)[0].unsqueeze(0)).expand(batch.Rows, -1);
            else if (module is QuantizedEmbedding q)
                pooled[f] = q.Pool(batch.Ids[f]!, batch.Offsets[f]!, batch.Weights[f]);
            else
                pooled[f] = ((EmbeddingBag)module).call(batch.Ids[f]!, batch.Offsets[f], batch.Weights[f]);
        }
        return functional.normalize(mlp.call(cat(pooled, 1)), p: 2, dim: 1);
    }
}
