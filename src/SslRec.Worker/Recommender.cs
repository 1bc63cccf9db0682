using SslRec.Core.Artifacts;
using SslRec.Pipeline.Storage;
using SslRec.Training.Export;

namespace SslRec.Worker;

/// <summary>The top items of one query, from one published version.</summary>
public sealed record Recommendation(string Model, string Version, int ItemCount, bool Compact, IReadOnlyList<RecommendedItem> Items);

public sealed record RecommendedItem(string Key, float Score);

/// <summary>
/// The client behind `sslrec recommend`: encodes a query with the published query tower and ranks the
/// published item embeddings (items.f32, or the product-quantized items.pq with <c>compact</c>). The files
/// come through <see cref="PublishedModel"/> (latest.json → manifest → checksummed files) into a local
/// cache per version; a version never changes, so a second query downloads nothing. Here, not in the
/// pipeline, because the query tower runs on TorchSharp.
/// </summary>
public sealed class Recommender(BlobStore blobs, string cacheDirectory)
{
    /// <summary>The cache `sslrec recommend` uses: one folder per model and version under the temp folder.</summary>
    public static string DefaultCache => Path.Combine(Path.GetTempPath(), "sslrec-recommend");

    /// <param name="query">feature values as `sslrec recommend --query` takes them, e.g. "user_id=u00001,history=b003|b010"</param>
    /// <exception cref="ModelNotPublishedException">nothing is published under <paramref name="model"/></exception>
    /// <exception cref="ArgumentException"><paramref name="compact"/> for a version published without compact embeddings, or a query naming an unknown field</exception>
    public async Task<Recommendation> RecommendAsync(string model, string query, int k, bool compact = false, CancellationToken ct = default)
    {
        var published = await PublishedModel.OpenAsync(blobs, model, ct);
        if (compact && !published.Has(ModelOutput.Codes))
            throw new ArgumentException($"--compact: version {published.Version} of {model} was published without {ModelOutput.Codes}");
        string[] embeddings = compact ? [ModelOutput.Ids, ModelOutput.Codes, ModelOutput.Codebook, ModelOutput.CompactInfo] : [ModelOutput.Ids, ModelOutput.Vectors];
        var local = Path.Combine(cacheDirectory, model, published.Version);
        await published.DownloadAsync(published.Files(f => embeddings.Contains(f) || ModelOutput.IsQueryTowerFile(f)), local, ct);

        using var encoder = QueryEncoder.Load(Path.Combine(local, ModelOutput.QueryTowerFolder));
        var vector = encoder.Encode(encoder.Parse(query));
        string[] keys;
        List<(int Index, float Score)> top;
        if (compact)
        {
            (var pq, var codes, keys) = EmbeddingFiles.ReadCompact(local);
            top = pq.TopK(codes, vector, k);
        }
        else
        {
            (var vectors, var dim, keys) = EmbeddingFiles.Read(local);
            top = QueryEncoder.TopK(vectors, dim, vector, k);
        }
        return new Recommendation(model, published.Version, keys.Length, compact, top.Select(t => new RecommendedItem(keys[t.Index], t.Score)).ToList());
    }
}
