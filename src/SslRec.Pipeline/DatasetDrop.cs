using System.Globalization;
using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Pipeline.Stages;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline;

/// <summary>
/// `sslrec drop`: uploads a dataset folder to datasets/{name}/{version}/, writes _READY last (so a partial
/// upload is never processed), and — because Azurite emits no Event Grid events — enqueues the same
/// BlobCreated event JSON that Event Grid delivers to the drop queue in Azure.
/// </summary>
public static class DatasetDrop
{
    public static string NewVersion() => DateTime.UtcNow.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture);

    public static async Task<(string Dataset, string Version, string RunId)> UploadAsync(PipelineContext ctx, string folder, string dataset,
        string? version = null, bool enqueueEvent = true, CancellationToken ct = default)
    {
        DatasetNames.Validate(dataset, "--dataset");
        version ??= NewVersion();
        DatasetNames.Validate(version, "--version");
        if (!File.Exists(Path.Combine(folder, DatasetSchema.FileName)))
            throw new FileNotFoundException($"{Path.Combine(folder, DatasetSchema.FileName)}: every dataset needs a schema.json");
        DatasetSchema.Load(Path.Combine(folder, DatasetSchema.FileName));
        var prefix = BlobLayout.DatasetPrefix(dataset, version);
        if (await ctx.Blobs.ExistsAsync(BlobLayout.Datasets, BlobLayout.ReadyBlob(dataset, version), ct))
            throw new InvalidOperationException($"{BlobLayout.Datasets}/{prefix} is already complete; use a new --version");
        var files = Directory.EnumerateFiles(folder)
            .Where(f => Path.GetFileName(f) == DatasetSchema.FileName || DataFiles.IsDataFile(f))
            .Order(StringComparer.Ordinal).ToList();
        foreach (var f in files)
            await ctx.Blobs.UploadFileAsync(BlobLayout.Datasets, prefix + Path.GetFileName(f), f, ct);
        var ready = BinaryData.FromString($"{files.Count} files");
        await ctx.Blobs.UploadAsync(BlobLayout.Datasets, BlobLayout.ReadyBlob(dataset, version), ready, ct);
        if (enqueueEvent)
        {
            var blob = ctx.Blobs.Blob(BlobLayout.Datasets, BlobLayout.ReadyBlob(dataset, version));
            await ctx.Bus.SendTextAsync(QueueNames.Drop,
                DropEvents.BuildBlobCreated(blob.Uri, BlobLayout.Datasets, BlobLayout.ReadyBlob(dataset, version), ready.ToMemory().Length), ct);
        }
        return (dataset, version, DatasetNames.RunId(dataset, version));
    }
}
