using SslRec.Core.Data;
using SslRec.Core.Vocab;
using SslRec.Training.Export;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Training.Loop;

/// <summary>
/// Initialises a model from an earlier one trained on another version of the data. Vocabularies differ
/// between versions, so embedding rows are matched by value: a value known to both keeps its trained
/// vector (as do the missing id and, when their number is unchanged, the out-of-vocabulary buckets); new
/// values keep their fresh initialisation. Tower layers are copied when their shapes agree; a DPQ/MGQE
/// feature is carried over (query rows by value, codebooks whole) only from the same quantization.
/// </summary>
public static class WarmStart
{
    public sealed record Result(int FeaturesMatched, long RowsCopied, int LayersCopied);

    public static Result Apply(TwoTowerModel model, EncodedDataset data, string previousBundleDirectory)
    {
        var (schema, _, oldVocabularies, old) = ModelBundle.Load(previousBundleDirectory);
        using (old)
        using (no_grad())
        // Owned temporaries (README, "Native memory safety"): the tables (EmbeddingTable makes a new Tensor per
        // call for a full table), the row indices and the selected rows stay reachable while index_copy_
        // and index_select read them. Opened after ModelBundle.Load: a module built inside a scope would
        // have its parameters disposed with it.
        using (NewDisposeScope())
        {
            int features = 0, layers = 0;
            long rows = 0;
            foreach (var (tower, oldTower, specs, offset) in new[]
                     {
                         (model.QueryTower, old.QueryTower, data.Schema.Query, 0),
                         (model.ItemTower, old.ItemTower, data.Schema.Item, data.Schema.Query.Count),
                     })
            {
                var oldSpecs = tower == model.QueryTower ? schema.Query : schema.Item;
                var oldOffset = tower == model.QueryTower ? 0 : schema.Query.Count;
                for (var f = 0; f < specs.Count; f++)
                {
                    var o = oldSpecs.ToList().FindIndex(s => s.Name == specs[f].Name && s.Type == specs[f].Type);
                    if (o < 0 || (tower.Quantized(f) is null) != (oldTower.Quantized(o) is null)) continue;
                    if (tower.IsShared(f)) continue; // a tied table is carried over once, from the item side
                    if (tower.Quantized(f) is { } quantized && !quantized.CopyCodebooksFrom(oldTower.Quantized(o)!)) continue;
                    var copied = CopyRows(tower.EmbeddingTable(f), data.Vocabularies[offset + f], oldTower.EmbeddingTable(o), oldVocabularies[oldOffset + o]);
                    if (copied < 0) continue;
                    features++;
                    rows += copied;
                }
                var oldLayers = oldTower.named_parameters().Where(p => !p.name.StartsWith("embeddings.", StringComparison.Ordinal)).ToDictionary(p => p.name, p => p.parameter);
                foreach (var (name, p) in tower.named_parameters())
                    if (!name.StartsWith("embeddings.", StringComparison.Ordinal) && oldLayers.TryGetValue(name, out var q) && q.shape.SequenceEqual(p.shape))
                    {
                        p.copy_(q);
                        layers++;
                    }
            }
            return new Result(features, rows, layers);
        }
    }

    /// <summary>Copies rows of values present in both vocabularies; −1 when the embedding sizes differ.</summary>
    private static long CopyRows(Tensor table, Vocabulary vocabulary, Tensor oldTable, Vocabulary oldVocabulary)
    {
        if (table.shape[1] != oldTable.shape[1]) return -1;
        var to = new List<long> { 0 };
        var from = new List<long> { 0 };
        // values streamed from the compact table, no string per value
        for (var i = 0; i < vocabulary.Kept; i++)
        {
            var oldId = oldVocabulary.IdOf(vocabulary.Text(i + 1));
            if (!oldVocabulary.IsOov(oldId)) { to.Add(i + 1); from.Add(oldId); }
        }
        if (vocabulary.OovBuckets == oldVocabulary.OovBuckets)
            for (var b = 0; b < vocabulary.OovBuckets; b++) { to.Add(1 + vocabulary.Kept + b); from.Add(1 + oldVocabulary.Kept + b); }
        var device = table.device;
        table.index_copy_(0, HostTensors.From<long>(to.ToArray(), device), oldTable.index_select(0, HostTensors.From<long>(from.ToArray(), oldTable.device)).to(device));
        return to.Count;
    }
}
