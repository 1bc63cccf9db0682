namespace SslRec.Pipeline.Storage;

/// <summary>embeddings/{model}/{version}/manifest.json: what a published version holds, with checksums.</summary>
public sealed class Manifest
{
    public string Model { get; set; } = "";
    public string Version { get; set; } = "";
    public string DatasetVersion { get; set; } = "";
    public string RunId { get; set; } = "";
    public int Count { get; set; }
    public int Dims { get; set; }
    public DateTimeOffset PublishedAt { get; set; }
    public DateTimeOffset RunCreatedAt { get; set; }
    public Dictionary<string, Dictionary<string, double>>? Recall { get; set; }
    /// <summary>Relative file name → lowercase hex SHA-256 and size.</summary>
    public Dictionary<string, ManifestFile> Files { get; set; } = new();
}

public sealed record ManifestFile(string Sha256, long Bytes);

/// <summary>embeddings/{model}/latest.json: the version readers should use. Replaced only after that version is complete.</summary>
public sealed class LatestPointer
{
    public string Model { get; set; } = "";
    public string Version { get; set; } = "";
    public string Manifest { get; set; } = "";
    public DateTimeOffset RunCreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
