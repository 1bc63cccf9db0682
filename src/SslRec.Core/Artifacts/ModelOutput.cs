using SslRec.Core.Metrics;
using SslRec.Core.Statistics;

namespace SslRec.Core.Artifacts;

/// <summary>
/// The one writer and layout of what training produces. Every file of a training output — `sslrec train
/// --out`, a pipeline run's candidate, an experiment's cell — is written through an instance of it: it
/// decides where each name goes, records what was written (the candidate's upload list is
/// <see cref="Files"/>), and writes metrics.json last and atomically. The publish stage and the readers
/// (`sslrec recommend`) use the same names. Blob prefixes (runs/{run}/candidate/,
/// embeddings/{model}/{version}/) are the pipeline's BlobLayout; below a prefix, names are these.
/// </summary>
public sealed class ModelOutput
{
    /// <summary>Recall@K (all/head/tail), serving sizes, data report.</summary>
    public const string Metrics = "metrics.json";
    /// <summary>The loss history (<see cref="LossCsv"/>).</summary>
    public const string Losses = "loss.csv";
    public const string Report = "report.md";
    public const string FeatureMutualInformation = "feature_mi.json";
    public const string LossPlot = "loss.png";
    public const string RecallPlot = "recall.png";

    /// <summary>Item embeddings: row-major float32, little-endian.</summary>
    public const string Vectors = "items.f32";
    /// <summary>One item key per row of <see cref="Vectors"/>.</summary>
    public const string Ids = "ids.txt";
    /// <summary>Product-quantization codes (G bytes per item), their codebook and their shapes.</summary>
    public const string Codes = "items.pq";
    public const string Codebook = "items.pq.codebook.f32";
    public const string CompactInfo = "items.pq.json";
    /// <summary>Every embedding file a version may hold, in the order a reader needs them.</summary>
    public static readonly string[] EmbeddingFiles = [Vectors, Ids, Codes, Codebook, CompactInfo];

    /// <summary>Where a local output keeps the embedding files (a candidate and a published version hold them at their root).</summary>
    public const string EmbeddingsFolder = "embeddings";
    /// <summary>The query tower alone: what serving needs to encode queries (published).</summary>
    public const string QueryTowerFolder = "query_tower";
    /// <summary>Both towers: kept with the run for warm starts, never published.</summary>
    public const string ModelFolder = "model";
    /// <summary>A local output's checkpoints (the pipeline keeps them in blob storage).</summary>
    public const string CheckpointsFolder = "checkpoints";

    /// <summary>Whether a candidate file (path relative to the candidate, '/'-separated) is published.</summary>
    public static bool IsPublished(string relativePath) => !relativePath.StartsWith(ModelFolder + "/", StringComparison.Ordinal);

    public static bool IsQueryTowerFile(string relativePath) => relativePath.StartsWith(QueryTowerFolder + "/", StringComparison.Ordinal);

    private readonly bool _embeddingsInFolder;
    private readonly List<string> _files = [];

    private ModelOutput(string directory, bool embeddingsInFolder)
    {
        Directory = directory;
        _embeddingsInFolder = embeddingsInFolder;
        System.IO.Directory.CreateDirectory(directory);
    }

    /// <summary>A folder on disk (`sslrec train --out`, an experiment's cell): the embedding files under embeddings/.</summary>
    public static ModelOutput Local(string directory) => new(directory, embeddingsInFolder: true);

    /// <summary>A run's candidate, laid out as a published version is (the embedding files at its root), so its files upload as they are.</summary>
    public static ModelOutput Candidate(string directory) => new(directory, embeddingsInFolder: false);

    public string Directory { get; }

    /// <summary>What was written, '/'-separated paths relative to <see cref="Directory"/>, in the order written.</summary>
    public IReadOnlyList<string> Files => _files;

    /// <summary>Where a file of this name goes in this layout, relative to <see cref="Directory"/>.</summary>
    public string RelativePath(string name) =>
        _embeddingsInFolder && EmbeddingFiles.Contains(name) ? EmbeddingsFolder + "/" + name : name;

    public string PathOf(string name) => Path.Combine(Directory, RelativePath(name));

    /// <summary>Writes one file with a writer that takes its path (a plot, a tensor).</summary>
    public void Write(string name, Action<string> writeTo)
    {
        var path = PathOf(name);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        writeTo(path);
        Record(RelativePath(name));
    }

    public void WriteText(string name, string text) => Write(name, path => File.WriteAllText(path, text));

    /// <summary>Writes files that one writer puts into one folder (e.g. vectors and their keys), each recorded.</summary>
    public void WriteFiles(IReadOnlyList<string> names, Action<string> writeInto)
    {
        var folder = Path.GetDirectoryName(PathOf(names[0]))!;
        if (names.Any(n => Path.GetDirectoryName(PathOf(n)) != folder)) throw new ArgumentException($"{string.Join(", ", names)} do not share a folder in this layout");
        System.IO.Directory.CreateDirectory(folder);
        writeInto(folder);
        foreach (var name in names) Record(RelativePath(name));
    }

    /// <summary>Writes a folder (model/, query_tower/) with a writer that fills it; records every file it left there.</summary>
    public void WriteFolder(string folder, Action<string> writeInto)
    {
        var path = Path.Combine(Directory, folder);
        System.IO.Directory.CreateDirectory(path);
        writeInto(path);
        foreach (var file in System.IO.Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                     .Select(f => Path.GetRelativePath(Directory, f).Replace('\\', '/')).Order(StringComparer.Ordinal))
            Record(file);
    }

    public void WriteLosses(IEnumerable<LossRecord> losses) => WriteText(Losses, LossCsv.Format(losses));

    public void WriteFeatureMutualInformation(ItemFeatureStatistics items) => WriteText(FeatureMutualInformation, FeatureMutualInformationFile.Json(items));

    /// <summary>
    /// metrics.json, written last by every writer and atomically (a temporary file moved into place): its
    /// presence says the output is complete, which is how an experiment knows a cell finished.
    /// </summary>
    public void WriteMetrics(MetricsReport metrics)
    {
        var path = PathOf(Metrics);
        File.WriteAllText(path + ".tmp", metrics.ToJson());
        File.Move(path + ".tmp", path, overwrite: true);
        Record(Metrics);
    }

    private void Record(string relativePath)
    {
        if (!File.Exists(Path.Combine(Directory, relativePath))) throw new InvalidOperationException($"{relativePath} was to be written to {Directory} but is not there");
        if (!_files.Contains(relativePath)) _files.Add(relativePath);
    }
}
