using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SslRec.Core.Options;
using SslRec.Training;
using SslRec.Training.Model;

namespace SslRec.Experiments;

/// <summary>
/// One training run of the grid: a method's settings, a data fraction and a seed. Studies share cells
/// (the CFM run with default settings is in RQ1, RQ2, RQ3 and RQ4), so each runs once.
/// </summary>
public sealed record ExperimentCell(string Method, TrainingOptions Options, double DataFraction)
{
    /// <summary>Train on the schema without its ties ("shares"): the untied side of the tie study.</summary>
    public bool Untied { get; init; }

    /// <summary>Everything that defines the run, in a fixed order; equal keys mean the same run.</summary>
    public string Key => string.Create(CultureInfo.InvariantCulture,
        $"method={Method};ssl={Options.Ssl};alpha={Options.Alpha};ssl_tau={Options.SslTau};ssl_batch={Options.SslBatchSize};" +
        $"sampling={Options.SslSampling};spread={Options.SpreadOut};dropout={Options.DropoutRate};epochs={Options.Epochs};fraction={DataFraction}{EmbeddingPart}{(Untied ? ";untied" : "")};seed={Options.Seed}");

    // only when not the default, so cells measured before compact embeddings existed keep their keys
    private string EmbeddingPart => Options.Embedding == EmbeddingKind.Full ? "" : $";embedding={Options.Embedding}";

    /// <summary>The cell's key without the seed: cells with equal configs are averaged over seeds.</summary>
    public string Config => Key[..Key.LastIndexOf(";seed=", StringComparison.Ordinal)];

    public string Folder => $"{Method}-f{DataFraction.ToString(CultureInfo.InvariantCulture)}-s{Options.Seed}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Key)))[..8]}";
}

/// <summary>A grid cell that belongs to a study, labelled for that study's table and plots.</summary>
public sealed record StudyEntry(string Study, string Label, ExperimentCell Cell);
