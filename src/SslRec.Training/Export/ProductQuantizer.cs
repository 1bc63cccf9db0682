using SslRec.Core.Util;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Training.Export;

/// <summary>
/// Product quantization of published item vectors: each D-dim vector is split into G groups and every
/// group is replaced by the index of its nearest of K centroids, learnt by k-means per group (Lloyd's
/// iterations on a seeded sample of at most 64·K items, then every item encoded in chunks). With the
/// defaults (G = D/4, K = 256) a 64-dim float32 vector of 256 bytes becomes 16 one-byte codes.
/// </summary>
public sealed class ProductQuantizer
{
    public int Groups { get; }
    public int Centroids { get; }
    public int Dim { get; }
    /// <summary>Row-major (G × K × D/G) centroids.</summary>
    public float[] Codebook { get; }

    public ProductQuantizer(int groups, int centroids, int dim, float[] codebook)
    {
        if (dim % groups != 0) throw new ArgumentException($"dimension {dim} is not divisible by {groups} groups");
        if (centroids is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(centroids), "codes are one byte: at most 256 centroids");
        if (codebook.Length != groups * centroids * (dim / groups)) throw new ArgumentException("codebook size does not match G × K × D/G");
        (Groups, Centroids, Dim, Codebook) = (groups, centroids, dim, codebook);
    }

    private const int Chunk = 4096;

    public static ProductQuantizer Fit(Tensor vectors, int groups, int centroids = 256, int iterations = 12, ulong seed = 1)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (n, dim) = (vectors.shape[0], (int)vectors.shape[1]);
        if (dim % groups != 0) throw new ArgumentException($"dimension {dim} is not divisible by {groups} groups");
        var k = (int)Math.Min(centroids, n);
        var sampleSize = (int)Math.Min(n, 64L * k);
        var rng = new Rng(seed, stream: 0x5051);
        var order = Enumerable.Range(0, (int)n).ToArray();
        rng.Shuffle(order.AsSpan());
        var sample = Split(vectors.cpu().to(ScalarType.Float32).index_select(0, HostTensors.Int64(order.AsSpan(0, sampleSize))), groups); // (G, S, d)
        var codebook = sample.narrow(1, 0, k).clone();               // first k of a shuffled sample: distinct items
        for (var it = 0; it < iterations; it++)
        {
            var assign = AssignChunked(sample, codebook);              // (G, S)
            // per-group index_add: scatter_add_ with an expanded index ran ~50× slower here
            var sums = zeros_like(codebook);
            var counts = zeros(groups, k);
            var one = ones(assign.shape[1]);
            for (var g = 0; g < groups; g++)
            {
                sums[g].index_add_(0, assign[g], sample[g], TorchScalars.One);
                counts[g].index_add_(0, assign[g], one, TorchScalars.One);
            }
            var filled = counts.gt(TorchScalars.Zero).unsqueeze(-1);
            codebook = where(filled, sums.div(counts.clamp_min(TorchScalars.One).unsqueeze(-1)), codebook); // an empty cluster keeps its centroid
        }
        if (k < centroids) codebook = cat([codebook, codebook.narrow(1, 0, 1).expand(groups, centroids - k, -1)], 1); // tiny corpora
        return new ProductQuantizer(groups, centroids, dim, codebook.contiguous().data<float>().ToArray());
    }

    /// <summary>Codes of vectors: row-major (N × G) bytes.</summary>
    public byte[] Encode(Tensor vectors)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var n = vectors.shape[0];
        var codes = new byte[n * Groups];
        var codebook = CodebookTensor();
        for (long start = 0; start < n; start += Chunk)
        {
            var rows = Math.Min(Chunk, n - start);
            var assign = AssignChunked(Split(vectors.narrow(0, start, rows).cpu().to(ScalarType.Float32), Groups), codebook).t().contiguous().to(ScalarType.Byte);
            assign.data<byte>().CopyTo(codes, (int)(start * Groups));
        }
        return codes;
    }

    /// <summary>Vectors rebuilt from codes (N × D), what asymmetric-distance scoring sees.</summary>
    public Tensor Decode(byte[] codes)
    {
        // Owned temporaries (README, "Native memory safety"): the byte codes, their int64 copy and the codebook
        // stay reachable until the calls that read them have returned.
        using var scope = NewDisposeScope();
        var decoded = QuantizedEmbedding.Decode(HostTensors.From<byte>(codes, [codes.Length / Groups, Groups]).to(ScalarType.Int64), CodebookTensor());
        return decoded.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The k best items for one query by asymmetric distance: a G × K table of partial inner products,
    /// then one table look-up per group and item — the vectors are never rebuilt.
    /// </summary>
    public List<(int Index, float Score)> TopK(byte[] codes, float[] query, int k)
    {
        var d = Dim / Groups;
        var table = new float[Groups * Centroids];
        for (var g = 0; g < Groups; g++)
            for (var c = 0; c < Centroids; c++)
            {
                float s = 0;
                for (var j = 0; j < d; j++) s += query[g * d + j] * Codebook[(g * Centroids + c) * d + j];
                table[g * Centroids + c] = s;
            }
        var n = codes.Length / Groups;
        var best = new PriorityQueue<int, float>(k + 1);
        for (var i = 0; i < n; i++)
        {
            float score = 0;
            var row = codes.AsSpan(i * Groups, Groups);
            for (var g = 0; g < Groups; g++) score += table[g * Centroids + row[g]];
            if (best.Count < k) best.Enqueue(i, score);
            else if (best.TryPeek(out _, out var worst) && score > worst) best.EnqueueDequeue(i, score);
        }
        var result = new List<(int, float)>(best.Count);
        while (best.TryDequeue(out var index, out var score)) result.Add((index, score));
        result.Reverse();
        return result;
    }

    private Tensor CodebookTensor() => HostTensors.From<float>(Codebook, [Groups, Centroids, Dim / Groups]);

    private static Tensor Split(Tensor vectors, int groups) => vectors.view(vectors.shape[0], groups, -1).transpose(0, 1).contiguous(); // (G, N, d)

    /// <summary>Nearest centroid per group (G × N), a few thousand rows at a time so the distances stay small.</summary>
    private static Tensor AssignChunked(Tensor x, Tensor codebook)
    {
        var parts = new List<Tensor>();
        for (long start = 0; start < x.shape[1]; start += Chunk)
        {
            // freed per chunk: a fresh (G × rows × K) buffer per chunk costs page faults on these machines
            using var scope = NewDisposeScope();
            var rows = x.narrow(1, start, Math.Min(Chunk, x.shape[1] - start));
            parts.Add(QuantizedEmbedding.SquaredDistances(rows, codebook).argmin(-1).MoveToOuterDisposeScope());
        }
        return cat(parts, 1);
    }
}
