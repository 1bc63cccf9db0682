using SslRec.Core.Data;
using SslRec.Core.Util;
using TorchSharp;
using static TorchSharp.torch;

namespace SslRec.Training.Model;

/// <summary>
/// The input of a tower for a batch of rows: per feature, an embedding-bag triple (ids, bag offsets,
/// per-id weights 1/|bag| so that a weighted sum is the mean), or nothing when the feature is masked
/// for the whole batch (the tower then uses the feature's "missing" embedding).
/// </summary>
public sealed class FeatureBatch
{
    public required int Rows { get; init; }
    public required Tensor?[] Ids { get; init; }
    public required Tensor?[] Offsets { get; init; }
    /// <summary>Null for categorical features (each bag holds one id with weight 1).</summary>
    public required Tensor?[] Weights { get; init; }
    public bool IsMasked(int feature) => Ids[feature] is null;

    /// <summary>
    /// Row-wise training: per feature, the table whose gathered rows this batch's ids index — the ids are
    /// then slots of <see cref="SparseTable.Rows"/>, not vocabulary ids. Null: ids index the full tables.
    /// </summary>
    public SparseTable?[]? Sparse { get; init; }

    /// <summary>With <see cref="Sparse"/>: per multi-valued feature, the bag (row) of each id, for pooling by index_add.</summary>
    public Tensor?[]? BagOf { get; init; }
}

/// <summary>Builds <see cref="FeatureBatch"/>es from encoded columns on the host, then moves them to the device.</summary>
public static class FeatureBatchBuilder
{
    /// <param name="masked">features masked for the whole batch (null = none)</param>
    /// <param name="dropRate">feature dropout on multi-valued features: each id is dropped with this probability</param>
    /// <param name="sparse">row-wise training: per feature, the table to slot the ids into (see <see cref="SparseTable"/>); null = vocabulary ids</param>
    public static FeatureBatch Build(EncodedTable table, ReadOnlySpan<int> rows, Device device,
        IReadOnlyList<bool>? masked = null, double dropRate = 0, Rng? rng = null, SparseTable?[]? sparse = null)
    {
        var n = table.Columns.Count;
        var ids = new Tensor?[n];
        var offsets = new Tensor?[n];
        var weights = new Tensor?[n];
        var bagOf = sparse is null ? null : new Tensor?[n];
        for (var f = 0; f < n; f++)
        {
            var slots = sparse?[f];
            if (masked is not null && masked[f])
            {
                slots?.Slot(0); // the tower reads the "missing" row for a masked feature: it is touched
                continue;
            }
            var column = table.Columns[f];
            if (column.Ids is { } categorical)
            {
                var values = new long[rows.Length];
                for (var i = 0; i < rows.Length; i++) values[i] = categorical[rows[i]];
                if (slots is not null) ToSlots(values, slots);
                ids[f] = HostTensors.From<long>(values, device);
                offsets[f] = arange(TorchScalars.Of(rows.Length), dtype: ScalarType.Int64, device: device);
            }
            else
            {
                BuildBags(column, rows, dropRate, rng, out var bagIds, out var bagOffsets, out var bagWeights);
                if (slots is not null)
                {
                    ToSlots(bagIds, slots);
                    bagOf![f] = HostTensors.From<long>(BagOfEachId(bagOffsets, bagIds.Length), device);
                }
                ids[f] = HostTensors.From<long>(bagIds, device);
                offsets[f] = HostTensors.From<long>(bagOffsets, device);
                weights[f] = HostTensors.From<float>(bagWeights, device);
            }
        }
        return new FeatureBatch { Rows = rows.Length, Ids = ids, Offsets = offsets, Weights = weights, Sparse = sparse, BagOf = bagOf };
    }

    /// <summary>Replaces vocabulary ids by their slots in the step's gathered rows, in place.</summary>
    private static void ToSlots(long[] ids, SparseTable table)
    {
        for (var i = 0; i < ids.Length; i++) ids[i] = table.Slot(ids[i]);
    }

    private static long[] BagOfEachId(long[] offsets, int ids)
    {
        var bag = new long[ids];
        for (var b = 0; b < offsets.Length; b++)
        {
            var end = b + 1 < offsets.Length ? offsets[b + 1] : ids;
            for (var j = offsets[b]; j < end; j++) bag[j] = b;
        }
        return bag;
    }

    private static void BuildBags(FeatureColumn column, ReadOnlySpan<int> rows, double dropRate, Rng? rng,
        out long[] ids, out long[] offsets, out float[] weights)
    {
        var total = 0;
        foreach (var r in rows) total += Math.Max(1, column.Bag(r).Length);
        var idList = new long[total];
        var weightList = new float[total];
        offsets = new long[rows.Length];
        var count = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            offsets[i] = count;
            var bag = column.Bag(rows[i]);
            var start = count;
            foreach (var id in bag)
                if (dropRate <= 0 || rng!.NextDouble() >= dropRate) idList[count++] = id;
            if (count == start) idList[count++] = 0; // empty or fully dropped bag → the missing id
            var w = 1f / (count - start);
            for (var j = start; j < count; j++) weightList[j] = w;
        }
        ids = count == total ? idList : idList[..count];
        weights = count == total ? weightList : weightList[..count];
    }
}
