using System.Text.Json.Serialization;
namespace SslRec.Core.Options;

public enum SslMode { None, Cfm, Rfm, Fd }
public enum OptimizerKind { Adam, Adagrad }
/// <summary>
/// How embedding tables are updated. Dense: the tower optimizer (<see cref="OptimizerKind"/>) over whole
/// tables, every row every step. LazyAdam and RowwiseAdagrad: only the rows a step's batch touched, with
/// their optimizer state (see SslRec.Training's RowWiseOptimizer).
/// </summary>
public enum EmbeddingOptimizerKind { Dense, LazyAdam, RowwiseAdagrad }
public enum SslSampling { Uniform, Train, Mix }
public enum EmbeddingKind { Full, Dpq, Mgqe }
public enum DpqRelaxation { StraightThrough, Softmax }

/// <summary>
/// Everything that shapes a training run. Defaults follow what held up on real data (an independent
/// reimplementation of the paper on two public datasets):
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
    /// <summary>
    /// Embedding tables' optimizer: row-wise (only the rows a step touched) or dense (<see cref="Optimizer"/>
    /// over whole tables). Row-wise Adagrad by default: Recall@50 as dense Adam's or better on the
    /// generated data (bench/optimizers.sh), 4 bytes of state per table row instead of 256.
    /// </summary>
    public EmbeddingOptimizerKind EmbeddingOptimizer { get; init; } = EmbeddingOptimizerKind.RowwiseAdagrad;
    /// <summary>Learning rate of the row-wise embedding optimizer; 0 = its default (lazy Adam: <see cref="LearningRate"/>; row-wise Adagrad: 0.01).</summary>
    public double EmbeddingLearningRate { get; init; }
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
    /// <summary>Embedding tables: full float tables, DPQ or MGQE (quantized; only vocabularies larger than the codebook).</summary>
    public EmbeddingKind Embedding { get; init; } = EmbeddingKind.Full;
    /// <summary>DPQ/MGQE: groups G the embedding is split into (each coded separately).</summary>
    public int DpqGroups { get; init; } = 8;
    /// <summary>DPQ: centroids K per group.</summary>
    public int DpqCentroids { get; init; } = 256;
    /// <summary>MGQE: centroids per frequency tier, head first.</summary>
    public int[] MgqeCentroids { get; init; } = [256, 64, 16];
    /// <summary>MGQE: share of the vocabulary (by frequency rank) in each tier but the last.</summary>
    public double[] MgqeTierShares { get; init; } = [0.1, 0.3];
    public DpqRelaxation DpqRelaxation { get; init; } = DpqRelaxation.StraightThrough;
    /// <summary>Temperature of the softmax over −distance that carries DPQ's gradients.</summary>
    public double DpqTemperature { get; init; } = 1.0;
    /// <summary>
    /// Training examples shuffled together: each epoch visits the example parts (one per map shard) in a
    /// fresh order, a buffer of about this many examples at a time, shuffled within the buffer. A dataset
    /// that fits in one buffer is shuffled globally. Memory holds two buffers (one being prefetched).
    /// </summary>
    public int ShuffleBuffer { get; init; } = 1_000_000;
    /// <summary>Evaluate at most this many held-out pairs, an evenly spaced sample (0 = all); the metrics say how many were used.</summary>
    public int MaxEvalQueries { get; init; }
    /// <summary>Stop after this many steps in total (for tests and step-wise workers); 0 = train all epochs.</summary>
    [JsonIgnore] public int MaxSteps { get; init; }

    /// <summary>
    /// Refuses values outside <see cref="OptionLimits"/> and combinations that cannot train, one line naming
    /// the option as the CLI spells it, with the reason. The one check for `sslrec train`, retrain overrides
    /// (the CLI before it sends, the retrain stage before it starts a run) and the trainer itself.
    /// </summary>
    /// <exception cref="ArgumentException">the first value or combination that is refused</exception>
    public void Validate()
    {
        static void Check(bool ok, string message) { if (!ok) throw new ArgumentException(message); }
        OptionLimits.Alpha.Check(Alpha);
        OptionLimits.Tau.Check(Tau);
        OptionLimits.SslTau.Check(SslTau);
        OptionLimits.BatchSize.Check(BatchSize);
        OptionLimits.SslBatchSize.Check(SslBatchSize);
        OptionLimits.Epochs.Check(Epochs);
        OptionLimits.LearningRate.Check(LearningRate);
        OptionLimits.EmbeddingDim.Check(EmbeddingDim);
        Check(Hidden.Length <= OptionLimits.MaxHiddenLayers, $"--hidden takes at most {OptionLimits.MaxHiddenLayers} layers; got {Hidden.Length}");
        foreach (var h in Hidden) OptionLimits.HiddenWidth.Check(h);
        OptionLimits.OutputDim.Check(OutputDim);
        OptionLimits.DropoutRate.Check(DropoutRate);
        OptionLimits.SpreadOut.Check(SpreadOut);
        OptionLimits.SslMix.Check(SslMix);
        OptionLimits.CheckpointEvery.Check(CheckpointEvery);
        OptionLimits.DpqGroups.Check(DpqGroups);
        Check(Embedding == EmbeddingKind.Full || EmbeddingDim % DpqGroups == 0, $"--dpq-groups must divide the embedding dimension {EmbeddingDim}; got {DpqGroups}");
        OptionLimits.Centroids.Check(DpqCentroids);
        Check(MgqeCentroids.Length >= 1, "--mgqe-centroids needs at least one tier");
        foreach (var k in MgqeCentroids) OptionLimits.MgqeCentroids.Check(k);
        Check(MgqeCentroids.Zip(MgqeCentroids.Skip(1)).All(p => p.First >= p.Second), "--mgqe-centroids must be non-increasing (head tier first)");
        Check(MgqeTierShares.Length == MgqeCentroids.Length - 1 && MgqeTierShares.All(s => s is > 0 and < 1) && MgqeTierShares.Sum() < 1,
            "--mgqe-tier-shares needs one share per tier but the last, each in (0, 1), summing below 1");
        OptionLimits.DpqTemperature.Check(DpqTemperature);
        OptionLimits.ShuffleBuffer.Check(ShuffleBuffer);
        OptionLimits.MaxEvalQueries.Check(MaxEvalQueries);
        OptionLimits.MaxSteps.Check(MaxSteps);
        Check(EmbeddingLearningRate >= 0 && !double.IsPositiveInfinity(EmbeddingLearningRate) && EmbeddingLearningRate <= 10, "--embedding-lr must be in [0, 10] (0 = the embedding optimizer's default)");
    }

    /// <summary>The settings a checkpoint must agree with to be resumed (not epochs, device, checkpoint cadence or evaluation).</summary>
    public string Fingerprint()
    {
        var fingerprint = System.Text.Json.JsonSerializer.Serialize(this with { Epochs = 0, CheckpointEvery = 0, MaxSteps = 0, MaxEvalQueries = 0 });
        // Dense embedding updates are what every checkpoint written before these options had: leave them
        // out then, so that those checkpoints still resume with --embedding-optimizer dense.
        return EmbeddingOptimizer == EmbeddingOptimizerKind.Dense && EmbeddingLearningRate == 0
            ? fingerprint.Replace(",\"EmbeddingOptimizer\":0,\"EmbeddingLearningRate\":0", "", StringComparison.Ordinal) : fingerprint;
    }
}
