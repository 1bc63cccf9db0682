using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace SslRec.Pipeline.Storage;

/// <summary>Small helpers over blob containers: JSON and stream I/O, conditional creation, existence.</summary>
public sealed class BlobStore(BlobServiceClient service)
{
    public BlobServiceClient Service { get; } = service;

    /// <summary>JSON of run records, manifests and pointers: snake_case names, enums as strings.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public BlobContainerClient Container(string name) => Service.GetBlobContainerClient(name);
    public BlobClient Blob(string container, string name) => Container(container).GetBlobClient(name);

    public async Task EnsureContainersAsync(CancellationToken ct = default)
    {
        foreach (var c in BlobLayout.Containers) await Container(c).CreateIfNotExistsAsync(cancellationToken: ct);
    }

    public async Task<bool> ExistsAsync(string container, string name, CancellationToken ct = default) =>
        (await Blob(container, name).ExistsAsync(ct)).Value;

    public Task UploadAsync(string container, string name, Stream content, CancellationToken ct = default) =>
        Blob(container, name).UploadAsync(content, overwrite: true, ct);

    /// <summary>
    /// Uploads what <paramref name="write"/> writes (a binary file of <see cref="SslRec.Core.Data.BinaryFormat"/>) through a
    /// temporary file rather than a buffer in memory, which would double the peak memory of the stage writing
    /// it. The blob appears complete or not at all (a write that fails uploads nothing).
    /// </summary>
    public async Task UploadAsync(string container, string name, Action<Stream> write, CancellationToken ct = default)
    {
        var path = Path.Combine(Path.GetTempPath(), "sslrec-upload-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16)) write(file);
            await Blob(container, name).UploadAsync(path, overwrite: true, ct);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Parses a blob as it downloads (the whole blob is never held in memory); null when it does not exist.</summary>
    public async Task<T?> TryReadAsync<T>(string container, string name, Func<Stream, T> parse, CancellationToken ct = default) where T : class
    {
        Stream stream;
        try
        {
            stream = await Blob(container, name).OpenReadAsync(position: 0, bufferSize: 4 << 20, cancellationToken: ct);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
        await using (stream) return parse(stream);
    }

    /// <summary>Bytes [start, end) of a blob (a partition's part of a shard's keys, a shard's section of the id maps).</summary>
    public async Task<byte[]> ReadRangeAsync(string container, string name, long start, long end, CancellationToken ct = default)
    {
        if (end <= start) return [];
        var response = await Blob(container, name).DownloadContentAsync(
            new Azure.Storage.Blobs.Models.BlobDownloadOptions { Range = new Azure.HttpRange(start, end - start) }, ct);
        var bytes = response.Value.Content.ToArray();
        if (bytes.Length != end - start) throw new InvalidDataException($"{container}/{name}: asked for bytes [{start}, {end}), got {bytes.Length}");
        return bytes;
    }

    public Task UploadAsync(string container, string name, BinaryData content, CancellationToken ct = default) =>
        Blob(container, name).UploadAsync(content, overwrite: true, ct);

    public Task UploadFileAsync(string container, string name, string path, CancellationToken ct = default) =>
        Blob(container, name).UploadAsync(path, overwrite: true, ct);

    /// <summary>Creates the blob only if it does not exist yet; returns false when it already did.</summary>
    public async Task<bool> TryCreateAsync(string container, string name, BinaryData content, CancellationToken ct = default)
    {
        try
        {
            await Blob(container, name).UploadAsync(content, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, ct);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    public async Task<BinaryData?> TryDownloadAsync(string container, string name, CancellationToken ct = default)
    {
        try
        {
            return (await Blob(container, name).DownloadContentAsync(ct)).Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<T?> TryReadJsonAsync<T>(string container, string name, CancellationToken ct = default) where T : class
    {
        var data = await TryDownloadAsync(container, name, ct);
        return data?.ToObjectFromJson<T>(Json);
    }

    public Task WriteJsonAsync<T>(string container, string name, T value, CancellationToken ct = default) =>
        UploadAsync(container, name, BinaryData.FromObjectAsJson(value, Json), ct);

    /// <summary>The blobs under a prefix; none when the container does not exist yet (fresh storage, nothing dropped).</summary>
    public async Task<List<BlobItem>> ListAsync(string container, string prefix, CancellationToken ct = default)
    {
        var items = new List<BlobItem>();
        try
        {
            await foreach (var b in Container(container).GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, ct)) items.Add(b);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return [];
        }
        return items;
    }

    /// <summary>Downloads a blob to a local file (parent folders are created).</summary>
    public async Task DownloadToFileAsync(string container, string name, string path, CancellationToken ct = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await Blob(container, name).DownloadToAsync(path, ct);
    }
}
