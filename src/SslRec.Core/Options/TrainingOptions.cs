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
///
/// Each property's [TrainingOption] is its one description: `sslrec train`'s flag and help, the retrain
/// override and its bounds, <see cref="Validate"/>'s range check and the key metrics.json records it under all
/// come from it (<see cref="TrainingOptionDescriptors"/>). A new option is a property here with its attribute,
/// and the code that uses it; a test fails for a property without one.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Most hidden layers a tower may have.</summary>
    public const int MaxHiddenLayers = 8;

    [TrainingOption(OptionGroup.Ssl, "SSL augmentation: none, cfm, rfm or fd")]
    public SslMode Ssl { get; init; } = SslMode.Cfm;

    /// <summary>Weight of the SSL loss: total = main + α·SSL.</summary>
    [TrainingOption(OptionGroup.Ssl, "Weight of the SSL loss", Min = 0, Max = 1_000, Why = "weight of the SSL loss; the paper uses 0.1 to 3")]
    public double Alpha { get; init; } = 0.1;

    /// <summary>Temperature of the main batch softmax.</summary>
    [TrainingOption(OptionGroup.Model, "Temperature of the main batch softmax", Min = 1e-4, Max = 100, Why = "temperature of the batch softmax over cosines")]
    public double Tau { get; init; } = 0.05;

    /// <summary>Temperature of the SSL InfoNCE.</summary>
    [TrainingOption(OptionGroup.Ssl, "Temperature of the SSL loss", Min = 1e-4, Max = 100, Why = "temperature of the SSL loss over cosines")]
    public double SslTau { get; init; } = 0.1;

    [TrainingOption(OptionGroup.Optimizer, "Main-task batch size (in-batch negatives)", Min = 2, Max = 65_536,
        Why = "in-batch negatives need 2; the batch softmax holds batch² scores, 16 GiB at 65,536")]
    public int BatchSize { get; init; } = 1024;

    [TrainingOption(OptionGroup.Ssl, "Items per SSL batch", Min = 2, Max = 65_536, Why = "the SSL loss needs 2 items; it holds batch² scores, 16 GiB at 65,536")]
    public int SslBatchSize { get; init; } = 1024;

    [TrainingOption(OptionGroup.Optimizer, "Passes over the training data", Min = 1, Max = 10_000,
        Why = "passes over the training data; Recall stops improving long before 10,000")]
    public int Epochs { get; init; } = 8;

    [TrainingOption(OptionGroup.Optimizer, "Learning rate", Cli = "lr", Min = 0, MinExclusive = true, Max = 10, Why = "a step size; larger ones diverge")]
    public double LearningRate { get; init; } = 3e-3;

    [TrainingOption(OptionGroup.Optimizer, "Optimizer of the towers' layers: adam or adagrad (embedding tables: --embedding-optimizer)")]
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>
    /// Embedding tables' optimizer: row-wise (only the rows a step touched) or dense (<see cref="Optimizer"/>
    /// over whole tables). Row-wise Adagrad by default: Recall@50 as dense Adam's or better on the
    /// generated data (bench/optimizers.sh), 4 bytes of state per table row instead of 256.
    /// </summary>
    [TrainingOption(OptionGroup.Optimizer,
        "Embedding tables: rowwiseadagrad or lazyadam (only the rows a step touched, with their state), or dense (--optimizer over whole tables)")]
    public EmbeddingOptimizerKind EmbeddingOptimizer { get; init; } = EmbeddingOptimizerKind.RowwiseAdagrad;

    /// <summary>Learning rate of the row-wise embedding optimizer; 0 = its default (lazy Adam: <see cref="LearningRate"/>; row-wise Adagrad: 0.01).</summary>
    [TrainingOption(OptionGroup.Optimizer, "Learning rate of the row-wise embedding optimizer (0: its default, --lr for lazyadam, 0.01 for rowwiseadagrad)",
        Cli = "embedding-lr", Min = 0, Max = 10, Why = "0 = the embedding optimizer's default")]
    public double EmbeddingLearningRate { get; init; }

    [TrainingOption(OptionGroup.Model, "Embedding size per feature", Min = 1, Max = 4_096, Why = "floats per value in every embedding table")]
    public int EmbeddingDim { get; init; } = 32;

    [TrainingOption(OptionGroup.Model, "Hidden layer sizes, comma-separated", Min = 1, Max = 16_384,
        Why = "units per hidden layer; a layer's weights grow with the product of neighbouring widths")]
    public int[] Hidden { get; init; } = [256];

    [TrainingOption(OptionGroup.Model, "Tower output size", Min = 1, Max = 4_096, Why = "floats per published item vector")]
    public int OutputDim { get; init; } = 64;

    /// <summary>Feature dropout: probability of dropping each value of a multi-valued feature in an SSL view.</summary>
    [TrainingOption(OptionGroup.Ssl, "Feature dropout rate on multi-valued item features in SSL views", Cli = "dropout", Json = "dropout",
        Min = 0, Max = 1, MaxExclusive = true, Why = "a probability; at 1 every value of a bag would be dropped")]
    public double DropoutRate { get; init; } = 0.2;

    /// <summary>Weight of the spread-out regulariser on uniformly sampled items (0 = off).</summary>
    [TrainingOption(OptionGroup.Ssl, "Weight of the spread-out regulariser (0 = off)", Min = 0, Max = 1_000, Why = "weight of the spread-out regulariser")]
    public double SpreadOut { get; init; }

    [TrainingOption(OptionGroup.Ssl, "SSL item distribution: uniform, train or mix")]
    public SslSampling SslSampling { get; init; } = SslSampling.Uniform;

    /// <summary>With <see cref="SslSampling.Mix"/>: share of SSL items drawn from the training distribution.</summary>
    [TrainingOption(OptionGroup.Ssl, "With --ssl-sampling mix: share drawn from the training distribution", Min = 0, Max = 1, Why = "a share of the SSL items")]
    public double SslMix { get; init; } = 0.5;

    [TrainingOption(OptionGroup.Optimizer, "Random seed (model init, order, SSL sampling, masks)")]
    public ulong Seed { get; init; } = 1;

    /// <summary>Checkpoint every N steps (and always at the end); 0 = only at the end.</summary>
    [TrainingOption(OptionGroup.Run, "Checkpoint every N steps (0: only at the end)", Min = 0, Max = int.MaxValue, Why = "0 checkpoints only at the end",
        Retrain = false)] // the pipeline's cadence (PipelineOptions.CheckpointEvery)
    public int CheckpointEvery { get; init; } = 200;

    /// <summary>Embedding tables: full float tables, DPQ or MGQE (quantized; only vocabularies larger than the codebook).</summary>
    [TrainingOption(OptionGroup.Model, "Embedding tables: full, dpq or mgqe (quantized; features whose vocabulary exceeds the codebook)")]
    public EmbeddingKind Embedding { get; init; } = EmbeddingKind.Full;

    /// <summary>DPQ/MGQE: groups G the embedding is split into (each coded separately).</summary>
    [TrainingOption(OptionGroup.Model, "DPQ/MGQE: code groups per embedding (must divide --embedding-dim)", Min = 1, Max = 4_096,
        Why = "groups the embedding is split into; each needs at least one dimension")]
    public int DpqGroups { get; init; } = 8;

    /// <summary>DPQ: centroids K per group.</summary>
    [TrainingOption(OptionGroup.Model, "DPQ: centroids per group", Min = 2, Max = 65_536, Why = "a code of 1 to 16 bits per group")]
    public int DpqCentroids { get; init; } = 256;

    /// <summary>MGQE: centroids per frequency tier, head first.</summary>
    [TrainingOption(OptionGroup.Model, "MGQE: centroids per frequency tier, head first", Min = 2, Max = 65_536, Why = "a code of 1 to 16 bits per group")]
    public int[] MgqeCentroids { get; init; } = [256, 64, 16];

    /// <summary>MGQE: share of the vocabulary (by frequency rank) in each tier but the last.</summary>
    [TrainingOption(OptionGroup.Model, "MGQE: share of the vocabulary (by frequency) in each tier but the last")]
    public double[] MgqeTierShares { get; init; } = [0.1, 0.3];

    [TrainingOption(OptionGroup.Model, "How gradients pass the code choice: straightthrough or softmax")]
    public DpqRelaxation DpqRelaxation { get; init; } = DpqRelaxation.StraightThrough;

    /// <summary>Temperature of the softmax over −distance that carries DPQ's gradients.</summary>
    [TrainingOption(OptionGroup.Model, "Temperature of the softmax over −distance", Min = 1e-4, Max = 100, Why = "temperature of the softmax over −distance")]
    public double DpqTemperature { get; init; } = 1.0;

    /// <summary>
    /// Training examples shuffled together: each epoch visits the example parts (one per map shard) in a
    /// fresh order, a buffer of about this many examples at a time, shuffled within the buffer. A dataset
    /// that fits in one buffer is shuffled globally. Memory holds two buffers (one being prefetched).
    /// </summary>
    [TrainingOption(OptionGroup.Data, "Examples shuffled together: larger data is read a buffer of parts at a time", Min = 2, Max = 100_000_000,
        Why = "examples held in memory twice over, the next buffer being prefetched: several GB at 100,000,000")]
    public int ShuffleBuffer { get; init; } = 1_000_000;

    /// <summary>Evaluate at most this many held-out pairs, an evenly spaced sample (0 = all); the metrics say how many were used.</summary>
    [TrainingOption(OptionGroup.Evaluation, "Evaluate at most this many held-out pairs, evenly spaced (0: all)", Min = 0, Max = int.MaxValue,
        Why = "0 evaluates every held-out pair")]
    public int MaxEvalQueries { get; init; }

    /// <summary>Stop after this many steps in total (for tests and step-wise workers); 0 = train all epochs.</summary>
    [TrainingOption(OptionGroup.Optimizer, "Stop after this many steps in total (0: all epochs)", Min = 0, Max = int.MaxValue, Why = "0 trains every epoch",
        Retrain = false)] // a process's limit (tests, measurements), not part of a model
    [JsonIgnore] public int MaxSteps { get; init; }

    /// <summary>
    /// Refuses values outside their options' bounds (<see cref="TrainingOptionAttribute"/>) and combinations
    /// that cannot train, one line naming the option as the CLI spells it, with the reason. The one check for
    /// `sslrec train`, retrain overrides (the CLI before it sends, the retrain stage before it starts a run)
    /// and the trainer itself.
    /// </summary>
    /// <exception cref="ArgumentException">the first value or combination that is refused</exception>
    public void Validate()
    {
        static void Check(bool ok, string message) { if (!ok) throw new ArgumentException(message); }
        Check(Hidden.Length <= MaxHiddenLayers, $"--hidden takes at most {MaxHiddenLayers} layers; got {Hidden.Length}");
        Check(MgqeCentroids.Length >= 1, "--mgqe-centroids needs at least one tier");
        foreach (var option in TrainingOptionDescriptors.All) option.CheckBounds(this);
        Check(Embedding == EmbeddingKind.Full || EmbeddingDim % DpqGroups == 0, $"--dpq-groups must divide the embedding dimension {EmbeddingDim}; got {DpqGroups}");
        Check(MgqeCentroids.Zip(MgqeCentroids.Skip(1)).All(p => p.First >= p.Second), "--mgqe-centroids must be non-increasing (head tier first)");
        Check(MgqeTierShares.Length == MgqeCentroids.Length - 1 && MgqeTierShares.All(s => s is > 0 and < 1) && MgqeTierShares.Sum() < 1,
            "--mgqe-tier-shares needs one share per tier but the last, each in (0, 1), summing below 1");
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
