using System.Text.Json.Serialization;

namespace SslRec.Training;

public enum SslMode { None, Cfm, Rfm, Fd }
public enum OptimizerKind { Adam, Adagrad }
public enum SslSampling { Uniform, Train, Mix }

/// <summary>
/// Everything that shapes a training run. Defaults follow what held up on real data (see PAPER.md):
/// batch 1024, τ 0.05, τ_ssl 0.1, Adam 3e-3, 32-dim feature embeddings, MLP 256 → 64, SSL items sampled
/// uniformly from the corpus, feature dropout 0.2, and a small SSL weight α = 0.1.
/// </summary>
public sealed record TrainingOptions
{
    public SslMode Ssl { get; init; } = SslMode.Cfm;
    /// <summary>Weight of the SSL loss: total = main + α·SSL.</summary>
    public double Alpha { get; init; } = 0.1;
    /// <summary>Temperature of the main batch softmax.</summary>
    public double Tau { get; init; } = 0.05;
    /// <summary>Temperature of the SSL InfoNCE.</summary>
    public double SslTau { get; init; } = 0.1;
    public int BatchSize { get; init; } = 1024;
    public int SslBatchSize { get; init; } = 1024;
    public int Epochs { get; init; } = 8;
    public double LearningRate { get; init; } = 3e-3;
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;
    public int EmbeddingDim { get; init; } = 32;
    public int[] Hidden { get; init; } = [256];
    public int OutputDim { get; init; } = 64;
    /// <summary>Feature dropout: probability of dropping each value of a multi-valued feature in an SSL view.</summary>
    public double DropoutRate { get; init; } = 0.2;
    /// <summary>Weight of the spread-out regulariser on uniformly sampled items (0 = off).</summary>
    public double SpreadOut { get; init; }
    public SslSampling SslSampling { get; init; } = SslSampling.Uniform;
    /// <summary>With <see cref="SslSampling.Mix"/>: share of SSL items drawn from the training distribution.</summary>
    public double SslMix { get; init; } = 0.5;
    public ulong Seed { get; init; } = 1;
    /// <summary>Checkpoint every N steps (and always at the end); 0 = only at the end.</summary>
    public int CheckpointEvery { get; init; } = 200;
    /// <summary>Stop after this many steps in total (for tests and step-wise workers); 0 = train all epochs.</summary>
    [JsonIgnore] public int MaxSteps { get; init; }

    public void Validate()
    {
        static void Check(bool ok, string message) { if (!ok) throw new ArgumentException(message); }
        Check(Alpha >= 0, "--alpha must be ≥ 0");
        Check(Tau > 0, "--tau must be > 0");
        Check(SslTau > 0, "--ssl-tau must be > 0");
        Check(BatchSize >= 2, "--batch-size must be at least 2 (in-batch negatives)");
        Check(SslBatchSize >= 2, "--ssl-batch-size must be at least 2");
        Check(Epochs >= 1, "--epochs must be at least 1");
        Check(LearningRate > 0, "--lr must be > 0");
        Check(EmbeddingDim >= 1 && OutputDim >= 1 && Hidden.All(h => h >= 1), "layer sizes must be positive");
        Check(DropoutRate is >= 0 and < 1, "--dropout must be in [0, 1)");
        Check(SpreadOut >= 0, "--spread-out must be ≥ 0");
        Check(SslMix is >= 0 and <= 1, "--ssl-mix must be in [0, 1]");
        Check(CheckpointEvery >= 0, "--checkpoint-every must be ≥ 0");
    }

    /// <summary>The settings a checkpoint must agree with to be resumed (not epochs, device or checkpoint cadence).</summary>
    public string Fingerprint() => System.Text.Json.JsonSerializer.Serialize(this with { Epochs = 0, CheckpointEvery = 0, MaxSteps = 0 });
}
