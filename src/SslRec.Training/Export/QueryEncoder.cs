using SslRec.Core.Data;
using SslRec.Core.Schema;
using SslRec.Core.Vocab;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Training.Export;

/// <summary>
/// Turns a query given as field=value pairs into a query vector with a published query tower. Disposing
/// it disposes the tower, so its tensors are not left to the finalizer thread.
/// </summary>
public sealed class QueryEncoder(DatasetSchema schema, IReadOnlyList<Vocabulary> vocabularies, Tower tower) : IDisposable
{
    public static QueryEncoder Load(string queryTowerDirectory)
    {
        var (schema, vocabularies, tower) = ModelBundle.LoadQueryTower(queryTowerDirectory);
        return new QueryEncoder(schema, vocabularies, tower);
    }

    /// <summary>Parses "user_id=u1,history=b001|b002": unknown fields are errors; absent fields are missing.</summary>
    public Dictionary<string, string> Parse(string query)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in query.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--query: '{part}' is not field=value");
            var name = part[..eq].Trim();
            if (!schema.Query.Any(f => f.Name == name))
                throw new ArgumentException($"--query: unknown field '{name}' (query features: {string.Join(", ", schema.Query.Select(f => f.Name))})");
            values[name] = part[(eq + 1)..].Trim();
        }
        return values;
    }

    public float[] Encode(IReadOnlyDictionary<string, string> values)
    {
        var columns = schema.Query.Select((f, i) =>
        {
            var builder = new FeatureColumnBuilder(f, vocabularies[i], 1);
            builder.Add(values.TryGetValue(f.Name, out var v) ? v : "");
            return builder.Build();
        }).ToList();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var batch = FeatureBatchBuilder.Build(new EncodedTable(columns, 1), [0], CPU);
        return tower.call(batch).data<float>().ToArray();
    }

    /// <summary>The k best items by inner product with the query vector (exact).</summary>
    public static List<(int Index, float Score)> TopK(float[] vectors, int dim, float[] query, int k)
    {
        using var scope = NewDisposeScope();
        var (indices, scores) = Evaluation.ExactRanker.TopK(HostTensors.From<float>(query, [1, dim]), HostTensors.From<float>(vectors, [vectors.Length / dim, dim]), k);
        return indices.Select((index, i) => ((int)index, scores[i])).ToList();
    }

    public void Dispose() => tower.Dispose();
}
