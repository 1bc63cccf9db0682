using SslRec.Core.Data;
using SslRec.Core.Schema;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Training.Evaluation;

/// <summary>
/// The rank of each held-out pair's item among the whole corpus, for one or more item matrices (float32
/// embeddings, their product-quantized reconstruction). The hold-out is read one part at a time and its
/// queries encoded per part, so memory holds one part's queries, never the whole hold-out.
/// With a cap, an evenly spaced sample of the pairs is evaluated (the same for every item matrix).
/// </summary>
public sealed record HeldOutRanks(int[] Targets, int[][] Ranks, long Available)
{
    public int Evaluated => Targets.Length;

    public static HeldOutRanks Compute(Tower queryTower, ExampleParts eval, IReadOnlyList<FeatureSpec> querySpecs,
        IReadOnlyList<Tensor> itemMatrices, Device device, int maxQueries = 0)
    {
        var n = eval.Count;
        var wanted = maxQueries > 0 && n > maxQueries ? maxQueries : n;
        var targets = new List<int>();
        var ranks = itemMatrices.Select(_ => new List<int>()).ToArray();
        long first = 0;   // global index of the current part's first pair
        long next = 0;    // the j-th pair evaluated is pair ⌊j·n / wanted⌋
        for (var p = 0; p < eval.PartCount; p++)
        {
            var count = eval.Counts[p];
            var rows = new List<int>();
            while (next < wanted && Pick(next, n, wanted) < first + count) rows.Add((int)(Pick(next++, n, wanted) - first));
            first += count;
            if (rows.Count == 0) continue;
            var part = eval.Load(p);
            var sample = rows.Count == part.Count ? part : part.Gather(rows.ToArray());
            using var scope = NewDisposeScope();
            var queries = Embeddings.Encode(queryTower, sample.Queries, device);
            for (var m = 0; m < itemMatrices.Count; m++) ranks[m].AddRange(ExactRanker.Ranks(queries, itemMatrices[m], sample.ItemIndex));
            targets.AddRange(sample.ItemIndex);
        }
        return new HeldOutRanks(targets.ToArray(), ranks.Select(r => r.ToArray()).ToArray(), n);
    }

    private static long Pick(long j, long n, long wanted) => (long)((Int128)j * n / wanted);
}
