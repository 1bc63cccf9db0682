using SslRec.Core.Data;
using SslRec.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SslRec.Training.Evaluation;

public static class Embeddings
{
    /// <summary>Runs a tower over every row of a table in batches, without gradients: [rows, d] on the device.</summary>
    public static Tensor Encode(Tower tower, EncodedTable table, Device device, int batchSize = 8192)
    {
        using var _ = no_grad();
        var wasTraining = tower.training;
        tower.eval();
        var parts = new List<Tensor>();
        var rows = Enumerable.Range(0, table.RowCount).ToArray();
        for (var start = 0; start < rows.Length; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var batch = FeatureBatchBuilder.Build(table, rows.AsSpan(start, Math.Min(batchSize, rows.Length - start)), device);
            parts.Add(tower.call(batch).MoveToOuterDisposeScope());
        }
        if (wasTraining) tower.train();
        if (parts.Count == 0) return zeros(0, 0, device: device);
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }
}
