using SslRec.Core.Data;

namespace SslRec.Core.Statistics;

/// <summary>
/// Pairwise mutual information between item features, the structure Correlated Feature Masking uses:
/// MI(Vi, Vj) = Σ P(vi, vj) log[P(vi, vj) / (P(vi) P(vj))], in nats.
///
/// The distribution is that of the training data: each item contributes with its training frequency
/// (the weights). A multi-valued feature spreads an item's mass evenly over its bag, so an item with
/// bags A and B adds weight / (|A|·|B|) to each pair (a, b); an empty bag counts as the missing id 0.
/// </summary>
public static class MutualInformation
{
    public static double[,] Compute(EncodedTable items, IReadOnlyList<long> weights)
    {
        if (weights.Count != items.RowCount) throw new ArgumentException("one weight per item is required");
        var k = items.Columns.Count;
        var mi = new double[k, k];
        var total = 0.0;
        for (var r = 0; r < items.RowCount; r++) total += weights[r];
        if (total <= 0) return mi;

        var marginals = items.Columns.Select(c => Marginal(c, weights, total)).ToArray();
        for (var a = 0; a < k; a++)
        {
            for (var b = a + 1; b < k; b++)
            {
                var value = Pair(items.Columns[a], items.Columns[b], weights, total, marginals[a], marginals[b]);
                mi[a, b] = mi[b, a] = value;
            }
            mi[a, a] = Entropy(marginals[a]);
        }
        return mi;
    }

    private static Dictionary<int, double> Marginal(FeatureColumn column, IReadOnlyList<long> weights, double total)
    {
        var p = new Dictionary<int, double>();
        for (var r = 0; r < column.RowCount; r++)
        {
            if (weights[r] == 0) continue;
            var bag = NonEmpty(column.Bag(r));
            var w = weights[r] / total / bag.Length;
            foreach (var v in bag) p[v] = p.GetValueOrDefault(v) + w;
        }
        return p;
    }

    private static double Pair(FeatureColumn a, FeatureColumn b, IReadOnlyList<long> weights, double total,
        Dictionary<int, double> pa, Dictionary<int, double> pb)
    {
        var joint = new Dictionary<long, double>();
        for (var r = 0; r < a.RowCount; r++)
        {
            if (weights[r] == 0) continue;
            var bagA = NonEmpty(a.Bag(r));
            var bagB = NonEmpty(b.Bag(r));
            var w = weights[r] / total / (bagA.Length * bagB.Length);
            foreach (var va in bagA)
                foreach (var vb in bagB)
                {
                    var key = ((long)va << 32) | (uint)vb;
                    joint[key] = joint.GetValueOrDefault(key) + w;
                }
        }
        var mi = 0.0;
        foreach (var (key, p) in joint)
        {
            var va = (int)(key >> 32);
            var vb = (int)(key & 0xFFFFFFFF);
            mi += p * Math.Log(p / (pa[va] * pb[vb]));
        }
        return Math.Max(0, mi); // rounding can leave a tiny negative for independent features
    }

    private static double Entropy(Dictionary<int, double> p) => -p.Values.Where(x => x > 0).Sum(x => x * Math.Log(x));

    private static readonly int[] MissingBag = [0];

    private static ReadOnlySpan<int> NonEmpty(ReadOnlySpan<int> bag) => bag.IsEmpty ? MissingBag : bag;
}
