using System.Security.Cryptography;
using SslRec.Core.Artifacts;

namespace SslRec.Pipeline.Storage;

/// <summary>
/// The version of a model that readers should use, read the one way the contract allows:
/// embeddings/{model}/latest.json, then the manifest it names, then files listed in that manifest, each
/// checked against the manifest's SHA-256 and size before it is handed out. Used by the train stage (warm
/// start, publish gate), `sslrec recommend`, and anyone else reading published embeddings.
/// </summary>
public sealed class PublishedModel
{
    private readonly BlobStore _blobs;

    private PublishedModel(BlobStore blobs, LatestPointer latest, Manifest manifest)
    {
        _blobs = blobs;
        Latest = latest;
        Manifest = manifest;
    }

    public LatestPointer Latest { get; }
    public Manifest Manifest { get; }
    public string Model => Latest.Model;
    public string Version => Latest.Version;

    /// <summary>The published version of <paramref name="model"/>, or null when none has been published.</summary>
    /// <exception cref="InvalidDataException">latest.json names a manifest that does not exist</exception>
    public static async Task<PublishedModel?> TryOpenAsync(BlobStore blobs, string model, CancellationToken ct = default)
    {
        var latest = await blobs.TryReadJsonAsync<LatestPointer>(BlobLayout.Embeddings, BlobLayout.Latest(model), ct);
        if (latest is null) return null;
        // latest.json moves only after its version's manifest is written, so a missing one is damage, not a race.
        var manifest = await blobs.TryReadJsonAsync<Manifest>(BlobLayout.Embeddings, latest.Manifest, ct)
                       ?? throw new InvalidDataException($"{BlobLayout.Embeddings}/{BlobLayout.Latest(model)} names {BlobLayout.Embeddings}/{latest.Manifest}, which does not exist");
        return new PublishedModel(blobs, latest, manifest);
    }

    /// <summary>The published version of <paramref name="model"/>.</summary>
    /// <exception cref="ModelNotPublishedException">nothing is published under that name</exception>
    public static async Task<PublishedModel> OpenAsync(BlobStore blobs, string model, CancellationToken ct = default) =>
        await TryOpenAsync(blobs, model, ct) ?? throw new ModelNotPublishedException(model);

    public bool Has(string file) => Manifest.Files.ContainsKey(file);

    /// <summary>The manifest's files that <paramref name="wanted"/> selects (relative names, e.g. ids.txt, query_tower/…).</summary>
    public IEnumerable<string> Files(Func<string, bool> wanted) => Manifest.Files.Keys.Where(wanted);

    /// <summary>
    /// Downloads the named files of this version into <paramref name="directory"/>, keeping their relative
    /// names. Each is downloaded to a temporary name, checked against the manifest and only then moved into
    /// place, so a file found there already (a cache of this version, which never changes) was checked when
    /// it arrived and is not downloaded again.
    /// </summary>
    /// <exception cref="InvalidDataException">a file's checksum or size differs from the manifest's (the file is named), or the manifest does not list it</exception>
    public async Task DownloadAsync(IEnumerable<string> files, string directory, CancellationToken ct = default)
    {
        foreach (var file in files)
        {
            var expected = Manifest.Files.GetValueOrDefault(file)
                           ?? throw new InvalidDataException($"{BlobLayout.Embeddings}/{BlobLayout.Manifest(Model, Version)} does not list {file}");
            var path = Path.GetFullPath(Path.Combine(directory, file));
            if (!path.StartsWith(Path.GetFullPath(directory) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new InvalidDataException($"{BlobLayout.Embeddings}/{BlobLayout.Manifest(Model, Version)} lists {file}, which is outside the version's folder");
            if (File.Exists(path)) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var partial = path + ".partial-" + Guid.NewGuid().ToString("N")[..8];
            try
            {
                var (sha256, bytes) = await DownloadHashedAsync(BlobLayout.VersionPrefix(Model, Version) + file, partial, ct);
                if (bytes != expected.Bytes || !string.Equals(sha256, expected.Sha256, StringComparison.OrdinalIgnoreCase))
                    throw new InvalidDataException(
                        $"{BlobLayout.Embeddings}/{BlobLayout.VersionPrefix(Model, Version)}{file} does not match the manifest: SHA-256 {sha256} ({bytes:N0} bytes), " +
                        $"the manifest lists {expected.Sha256} ({expected.Bytes:N0} bytes); the published file is damaged or was replaced");
                File.Move(partial, path, overwrite: true);
            }
            finally
            {
                File.Delete(partial);
            }
        }
    }

    private async Task<(string Sha256, long Bytes)> DownloadHashedAsync(string blob, string path, CancellationToken ct)
    {
        await using var read = await _blobs.Blob(BlobLayout.Embeddings, blob).OpenReadAsync(cancellationToken: ct);
        await using var write = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var hashing = new HashingStream(read, sha);
        await hashing.CopyToAsync(write, 1 << 16, ct);
        return (Convert.ToHexStringLower(sha.GetHashAndReset()), hashing.Bytes);
    }

    /// <summary>
    /// Downloads the full model (both towers) of the run behind this version into <paramref name="directory"/>:
    /// it is not published (<see cref="ModelOutput.IsPublished"/>) but kept with the run's candidate, for warm
    /// starts and the publish gate. Not in the manifest, so not checksummed. False when the run kept none.
    /// </summary>
    public async Task<bool> DownloadTrainedModelAsync(string directory, CancellationToken ct = default)
    {
        var prefix = BlobLayout.CandidatePrefix(Manifest.RunId) + ModelOutput.ModelFolder + "/";
        var blobs = await _blobs.ListAsync(BlobLayout.Artifacts, prefix, ct);
        foreach (var blob in blobs)
            await _blobs.DownloadToFileAsync(BlobLayout.Artifacts, blob.Name, Path.Combine(directory, blob.Name[prefix.Length..]), ct);
        return blobs.Count > 0;
    }
}

/// <summary>Nothing is published under a model name (no embeddings/{model}/latest.json).</summary>
public sealed class ModelNotPublishedException(string model)
    : Exception($"nothing is published under {BlobLayout.Embeddings}/{model}/ (no {BlobLayout.Embeddings}/{BlobLayout.Latest(model)})")
{
    public string Model { get; } = model;
}
