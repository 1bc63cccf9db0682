using SslRec.Core.Options;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SslRec.Training.Model;

/// <summary>
/// Differentiable product quantization (DPQ, Chen et al. 2020) of one feature's embedding table, with
/// MGQE's per-id codebook limits (Kang et al. 2020). Each id keeps a D-dim query vector, split into G
/// groups of d = D/G; group g has K keys and K value centroids. The code of group g is the nearest key
/// among the first limit[id] (all K for DPQ, fewer for rarer ids under MGQE); the embedding is the
/// concatenation of the chosen value centroids. Training passes gradients through the discrete choice
/// with a straight-through estimator (forward: one-hot code; backward: softmax over −distance/τ), or
/// uses the softmax itself (<see cref="DpqRelaxation.Softmax"/>). For serving only the codes (G per id,
/// log2 K bits each) and the value codebooks are kept: <see cref="Codes"/>, <see cref="Codebook"/>.
/// </summary>
public sealed class QuantizedEmbedding : Module
{
    private readonly Parameter query;
    private readonly Parameter keys;
    private readonly Parameter values;
    private readonly int[] _tiers;         // distinct centroid counts, largest first (one for DPQ)
    private Tensor _tierById;              // (V) int64 index into _tiers (moved to the ids' device on use)
    private readonly DpqRelaxation _relaxation;
    private readonly double _temperature;

    public int Groups { get; }
    public int Centroids { get; }
    public int Dim { get; }
    public int[] CentroidsById { get; }

    public QuantizedEmbedding(string name, FeatureEmbeddingPlan plan, int dim, int groups, DpqRelaxation relaxation, double temperature) : base(name)
    {
        if (!plan.Quantized) throw new ArgumentException("the plan is not quantized", nameof(plan));
        if (dim % groups != 0) throw new ArgumentException($"the embedding dimension {dim} is not divisible by {groups} DPQ groups");
        Groups = groups;
        Dim = dim;
        Centroids = plan.Centroids;
        CentroidsById = plan.CentroidsById!;
        _relaxation = relaxation;
        _temperature = temperature;
        var d = dim / groups;
        // Queries and keys at unit scale so that distances separate centroids from the start (a
        // near-uniform softmax would starve the queries of gradient); values at the scale of a full table.
        query = Parameter(randn(plan.Size, dim));
        keys = Parameter(randn(groups, Centroids, d));
        values = Parameter(randn(groups, Centroids, d).div_(TorchScalars.Of(Math.Sqrt(dim))));
        _tiers = CentroidsById.Distinct().OrderDescending().ToArray();
        _tierById = HostTensors.From<long>(CentroidsById.Select(k => (long)Array.IndexOf(_tiers, k)).ToArray());
        RegisterComponents();
    }

    /// <summary>The per-id query vectors (V × D), the trained table that warm starts match by value.</summary>
    public Parameter QueryTable => query;

    /// <summary>Embeddings of ids (N) → (N × D). Each distinct id is quantized once per call.</summary>
    /// <param name="gathered">row-wise training: the ids are slots of these gathered query rows (null: vocabulary ids)</param>
    public Tensor Embed(Tensor ids, SparseTable? gathered = null)
    {
        var (unique, inverse, _) = torch.unique(ids, sorted: false, return_inverse: true);
        return EmbedDistinct(unique, gathered).index_select(0, inverse!);
    }

    private Tensor EmbedDistinct(Tensor ids, SparseTable? gathered)
    {
        if (_tiers.Length == 1) return EmbedTier(ids, Centroids, gathered?.Rows);
        var output = zeros(ids.shape[0], Dim, dtype: values.dtype, device: ids.device);
        // tiers are a property of vocabulary ids: map slots back to the ids they hold
        var vocabularyIds = gathered is null ? ids : gathered.Ids!.index_select(0, ids);
        foreach (var (rows, k) in Tiers(vocabularyIds)) output = output.index_copy(0, rows, EmbedTier(ids.index_select(0, rows), k, gathered?.Rows));
        return output;
    }

    /// <summary>Embeddings of ids that may all use the first k centroids; ids index <paramref name="table"/> (default: the query table).</summary>
    private Tensor EmbedTier(Tensor ids, int k, Tensor? table = null)
    {
        var n = ids.shape[0];
        var tierValues = k == Centroids ? values : values.narrow(1, 0, k);
        var distances = Distances(ids, k, table);                                              // (G, N, k)
        var hard = Gather(tierValues, distances.argmin(-1));                                   // (G, N, d)
        Tensor chosen;
        if (!training) chosen = hard;
        else
        {
            var soft = functional.softmax(distances.neg().div(TorchScalars.Of(_temperature)), -1);
            if (_relaxation == DpqRelaxation.Softmax) chosen = soft.bmm(tierValues);
            else
            {
                // Straight-through: the value is the hard choice; the gradient reaches the queries and
                // keys through the softmax, and each value centroid only from the ids that chose it.
                var relaxed = soft.bmm(tierValues.detach());
                chosen = hard.add(relaxed, TorchScalars.One).sub(relaxed.detach());
            }
        }
        return chosen.transpose(0, 1).reshape(n, Dim);
    }

    /// <summary>(G, N, k) distances of the ids' query vectors (rows of <paramref name="table"/>, default the query table) to the first k keys of each group.</summary>
    private Tensor Distances(Tensor ids, int k, Tensor? table = null)
    {
        var q = (table ?? query).index_select(0, ids).view(ids.shape[0], Groups, -1).transpose(0, 1); // (G, N, d)
        return SquaredDistances(q, k == Centroids ? keys : keys.narrow(1, 0, k));
    }

    /// <summary>
    /// |x − c|² up to |x|² (the same for every centroid of a row, so rankings and softmaxes over
    /// centroids are unchanged) between x (G, N, d) and centroids (G, K, d): (G, N, K). Computed in
    /// place on the product (whose backward needs only x and c): no extra (G, N, K) temporaries, which
    /// cost page faults on fresh buffers here.
    /// </summary>
    public static Tensor SquaredDistances(Tensor x, Tensor centroids) =>
        x.bmm(centroids.transpose(1, 2)).mul_(TorchScalars.Of(-2L)).add_(centroids.mul(centroids).sum(-1).unsqueeze(1), TorchScalars.One);

    /// <summary>MGQE: the positions of the ids in each non-empty tier, with that tier's centroid count.</summary>
    private IEnumerable<(Tensor Rows, int K)> Tiers(Tensor ids)
    {
        var tierOfId = TierOf(ids);
        for (var t = 0; t < _tiers.Length; t++)
        {
            var rows = tierOfId.eq(TorchScalars.Of(t)).nonzero().squeeze(1);
            if (rows.shape[0] > 0) yield return (rows, _tiers[t]);
        }
    }

    /// <summary>The embedding of id 0, "missing / masked" (1 × D).</summary>
    public Tensor MissingEmbedding() => Embed(zeros(1, dtype: ScalarType.Int64, device: query.device));

    /// <summary>Mean-pooled bags, as EmbeddingBag(sum) with per-id weights; null weights: one id per bag.</summary>
    /// <param name="gathered">row-wise training: the ids are slots of these gathered query rows</param>
    public Tensor Pool(Tensor ids, Tensor offsets, Tensor? weights, SparseTable? gathered = null)
    {
        var e = Embed(ids, gathered);
        if (weights is null) return e;
        var bag = bucketize(arange(TorchScalars.Of(ids.shape[0]), dtype: ScalarType.Int64, device: ids.device), offsets, right: true).sub_(TorchScalars.One);
        return zeros(offsets.shape[0], Dim, dtype: e.dtype, device: e.device).index_add_(0, bag, e.mul(weights.unsqueeze(1)), TorchScalars.One);
    }

    /// <summary>Copies another table's keys and value centroids when their shapes agree (warm starts).</summary>
    public bool CopyCodebooksFrom(QuantizedEmbedding other)
    {
        if (!other.keys.shape.SequenceEqual(keys.shape)) return false;
        using var _ = no_grad();
        keys.copy_(other.keys);
        values.copy_(other.values);
        return true;
    }

    /// <summary>The code of every id: (V × G), each below that id's centroid limit.</summary>
    public Tensor Codes()
    {
        using var _ = no_grad();
        var ids = arange(TorchScalars.Of(query.shape[0]), dtype: ScalarType.Int64, device: query.device);
        var codes = zeros(query.shape[0], Groups, dtype: ScalarType.Int64, device: query.device);
        foreach (var (rows, k) in Tiers(ids)) codes.index_copy_(0, rows, Distances(rows, k).argmin(-1).t());
        return codes;
    }

    /// <summary>The value centroids (G × K × d): with <see cref="Codes"/>, all that serving needs.</summary>
    public Tensor Codebook() => values.detach();

    /// <summary>Embeddings (N × G·d) rebuilt from codes (N × G) and a codebook (G × K × d) alone: what a server holding only those computes.</summary>
    public static Tensor Decode(Tensor codes, Tensor codebook)
    {
        // Called by export and serving code outside any training step: its own scope keeps the transposed
        // codes, the per-group parts and the chained results reachable while libtorch reads them.
        using var scope = NewDisposeScope();
        var rows = codes.shape[0];
        var width = codebook.shape[0] * codebook.shape[2];
        return Gather(codebook, codes.t()).transpose(0, 1).reshape(rows, width).MoveToOuterDisposeScope();
    }

    /// <summary>Bytes as stored for serving: G codes of ceil(log2 limit) bits per id, plus the value codebooks.</summary>
    public long ServingBytes()
    {
        long bits = 0;
        foreach (var k in CentroidsById) bits += (long)Groups * CodeBits(k);
        return (bits + 7) / 8 + (long)Groups * Centroids * (Dim / Groups) * sizeof(float);
    }

    public static int CodeBits(int centroids) => centroids <= 1 ? 0 : (int)Math.Ceiling(Math.Log2(centroids));

    /// <summary>The tier index (into the distinct centroid counts, largest first) of each id.</summary>
    private Tensor TierOf(Tensor ids)
    {
        if (_tierById.device_type != ids.device_type || _tierById.device_index != ids.device_index)
            _tierById = _tierById.to(ids.device).DetachFromDisposeScope();
        return _tierById.index_select(0, ids);
    }

    private static Tensor Gather(Tensor codebook, Tensor codes)
    {
        var groups = codebook.shape[0];
        var parts = new Tensor[groups];
        for (var g = 0; g < groups; g++) parts[g] = codebook[g].index_select(0, codes[g]).unsqueeze(0);
        return cat(parts, 0);                                          // (G, N, d)
    }
}
