namespace SslRec.Core.Metrics;

/// <summary>
/// Recall@K for retrieval with one positive per held-out query: the share of queries whose positive
/// item is among the top K of the whole corpus. Slices count the queries whose positive is a head or
/// tail item.
/// </summary>
public static class RecallAtK
{
    public static readonly int[] DefaultKs = [10, 50, 100];

    /// <summary>
    /// ranks[i] is the 0-based position of query i's positive in its ranking, or -1 when it is not in the
    /// top max(K). Returns recall per K over the queries selected by include (all when null).
    /// </summary>
    public static Dictionary<int, double> Compute(ReadOnlySpan<int> ranks, IReadOnlyList<int> ks, Func<int, bool>? include = null)
    {
        var hits = new long[ks.Count];
        long n = 0;
        for (var i = 0; i < ranks.Length; i++)
        {
            if (include is not null && !include(i)) continue;
            n++;
            var r = ranks[i];
            if (r < 0) continue;
            for (var k = 0; k < ks.Count; k++)
                if (r < ks[k]) hits[k]++;
        }
        var result = new Dictionary<int, double>();
        for (var k = 0; k < ks.Count; k++) result[ks[k]] = n == 0 ? 0 : hits[k] / (double)n;
        return result;
    }
}
