using SslRec.Core.Options;
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
    // EmbeddingBag or QuantizedEmbedding per feature that this tower owns, keyed by feature index, so
    // full tables keep the parameter name "embeddings.{f}.weight" that earlier bundles use. A table
    // shared with the other tower (tied features) is owned there and only referenced here.
    private readonly ModuleDict<Module> embeddings;
    private readonly Sequential mlp;
    private readonly Module[] _byFeature;   // every feature's embedding module, owned or shared (not registered)

    /// <param name="shared">per feature, a module owned by the other tower to use instead of a new table (null = own)</param>
    public Tower(string name, IReadOnlyList<FeatureEmbeddingPlan> plans, TrainingOptions o, IReadOnlyList<Module?>? shared = null) : base(name)
    {
        var embeddingDim = o.EmbeddingDim;
        embeddings = new ModuleDict<Module>();
        _byFeature = new Module[plans.Count];
        for (var f = 0; f < plans.Count; f++)
        {
            if (shared?[f] is { } module)
            {
                _byFeature[f] = module;
                continue;
            }
            _byFeature[f] = CreateEmbedding(f, plans[f], o);
            embeddings.Add(f.ToString(System.Globalization.CultureInfo.InvariantCulture), _byFeature[f]);
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

    private static Module CreateEmbedding(int f, FeatureEmbeddingPlan plan, TrainingOptions o)
    {
        if (plan.Quantized) return new QuantizedEmbedding($"dpq{f}", plan, o.EmbeddingDim, o.DpqGroups, o.DpqRelaxation, o.DpqTemperature);
        var bag = EmbeddingBag(plan.Size, o.EmbeddingDim, mode: EmbeddingBagMode.Sum);
        // EmbeddingBag.weight makes a new Tensor over its own native handle on every read: dispose it here
        // rather than leave it to the finalizer thread (the module keeps its weight).
        using (no_grad())
        using (var weight = bag.weight!)
            init.normal_(weight, 0, 1.0 / Math.Sqrt(o.EmbeddingDim));
        return bag;
    }

    public int FeatureCount => _byFeature.Length;

    /// <summary>The embedding module of a feature (to share it with the other tower).</summary>
    public Module EmbeddingModule(int feature) => _byFeature[feature];

    /// <summary>Whether the feature's table is owned by the other tower.</summary>
    public bool IsShared(int feature) => !embeddings.ContainsKey(feature.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Copies every weight of another tower with the same layout, shared tables included.</summary>
    public void CopyFrom(Tower other)
    {
        using var _ = no_grad();
        for (var f = 0; f < FeatureCount; f++)
            foreach (var (to, from) in _byFeature[f].parameters().Zip(other._byFeature[f].parameters())) to.copy_(from);
        foreach (var (to, from) in mlp.parameters().Zip(other.mlp.parameters())) to.copy_(from);
    }

    /// <summary>
    /// The per-id trained table of one feature (row 0 is the "missing / masked" id): the embeddings of a
    /// full table, the query vectors of a quantized one.
    /// </summary>
    public Parameter EmbeddingTable(int feature) => _byFeature[feature] switch
    {
        EmbeddingBag bag => bag.weight!,
        QuantizedEmbedding q => q.QueryTable,
        var m => throw new InvalidOperationException($"unexpected embedding module {m.GetType().Name}"),
    };

    /// <summary>The quantized embedding of a feature, or null for a full table.</summary>
    public QuantizedEmbedding? Quantized(int feature) => _byFeature[feature] as QuantizedEmbedding;

    /// <summary>Bytes of embedding parameters as stored for serving (float32 tables; codes + codebooks when quantized).</summary>
    /// <param name="includeShared">false: leave out tables owned by the other tower (to count a model's tables once)</param>
    public long EmbeddingServingBytes(bool includeShared = true)
    {
        // EmbeddingTable(f) of a full table is a new Tensor per call (EmbeddingBag.weight): the scope owns
        // it while numel() reads it, then disposes it (README, "Native memory safety").
        using var scope = NewDisposeScope();
        return Enumerable.Range(0, FeatureCount)
            .Where(f => includeShared || !IsShared(f))
            .Sum(f => Quantized(f)?.ServingBytes() ?? EmbeddingTable(f).numel() * sizeof(float));
    }

    public override Tensor forward(FeatureBatch batch)
    {
        var pooled = new Tensor[_byFeature.Length];
        for (var f = 0; f < _byFeature.Length; f++)
        {
            var module = _byFeature[f];
            if (batch.Sparse?[f] is { } rows)
                pooled[f] = PoolGathered(module, rows, batch, f);
            else if (batch.IsMasked(f))
                pooled[f] = (module is QuantizedEmbedding mq ? mq.MissingEmbedding() : EmbeddingTable(f)[0].unsqueeze(0)).expand(batch.Rows, -1);
            else if (module is QuantizedEmbedding q)
                pooled[f] = q.Pool(batch.Ids[f]!, batch.Offsets[f]!, batch.Weights[f]);
            else
                pooled[f] = ((EmbeddingBag)module).call(batch.Ids[f]!, batch.Offsets[f], batch.Weights[f]);
        }
        return functional.normalize(mlp.call(cat(pooled, 1)), p: 2, dim: 1);
    }

    /// <summary>
    /// Row-wise training: the feature's pooled embeddings read from the step's gathered rows (the batch's
    /// ids are slots into them), so the gradient lands on those rows, never on the whole table. The same
    /// pooling as EmbeddingBag(sum) with per-id weights 1/|bag|.
    /// </summary>
    private static Tensor PoolGathered(Module module, SparseTable rows, FeatureBatch batch, int f)
    {
        var gathered = rows.Rows ?? throw new InvalidOperationException($"table {rows.Name}: rows not gathered for this step");
        if (batch.IsMasked(f))
        {
            var missing = rows.MissingSlot ?? throw new InvalidOperationException($"table {rows.Name}: the missing row was not gathered");
            return (module is QuantizedEmbedding mq ? mq.Embed(missing, rows) : gathered.index_select(0, missing)).expand(batch.Rows, -1);
        }
        if (module is QuantizedEmbedding q) return q.Pool(batch.Ids[f]!, batch.Offsets[f]!, batch.Weights[f], rows);
        var e = gathered.index_select(0, batch.Ids[f]!);
        if (batch.Weights[f] is not { } weights) return e; // one id per row
        return zeros(batch.Rows, e.shape[1], dtype: e.dtype, device: e.device)
            .index_add_(0, batch.BagOf![f]!, e.mul(weights.unsqueeze(1)), TorchScalars.One);
    }
}
