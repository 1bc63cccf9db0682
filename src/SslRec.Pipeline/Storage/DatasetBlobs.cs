using SslRec.Core.Schema;

namespace SslRec.Pipeline.Storage;

public static class DatasetBlobs
{
    /// <summary>Reads and validates datasets/{name}/{version}/schema.json; errors name that blob.</summary>
    public static async Task<DatasetSchema> LoadSchemaAsync(BlobStore blobs, string dataset, string version, CancellationToken ct = default)
    {
        var name = BlobLayout.DatasetPrefix(dataset, version) + DatasetSchema.FileName;
        var json = await blobs.TryDownloadAsync(BlobLayout.Datasets, name, ct)
                   ?? throw new InvalidDataException($"{BlobLayout.Datasets}/{name}: file not found (every dataset needs a schema.json)");
        return DatasetSchema.Parse(json.ToString(), $"{BlobLayout.Datasets}/{name}");
    }
}
