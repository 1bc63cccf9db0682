using System.Globalization;

namespace SslRec.Core.Options;

/// <summary>
/// The range a numeric training option must lie in, and why. A value outside it is refused with one line
/// naming the option as the CLI spells it, the range, the reason and the value given, e.g.
/// "--epochs must be 1..10,000 (…); got 1,000,000,000". NaN and infinities are outside every range.
/// </summary>
public sealed record OptionRange(string Property, double Min, double Max, string Why, bool Integer = true, bool MinExclusive = false, bool MaxExclusive = false)
{
    public bool Contains(double value) => double.IsFinite(value) && (MinExclusive ? value > Min : value >= Min) && (MaxExclusive ? value < Max : value <= Max);

    public string Bounds => Integer
        ? $"{Min.ToString("N0", CultureInfo.InvariantCulture)}..{Max.ToString("N0", CultureInfo.InvariantCulture)}"
        : $"in {(MinExclusive ? "(" : "[")}{Number(Min)}, {Number(Max)}{(MaxExclusive ? ")" : "]")}";

    public string Refusal(double value) => $"{OptionNames.Flag(Property)} must be {Bounds} ({Why}); got {Number(value)}";

    /// <summary>Throws <see cref="ArgumentException"/> with <see cref="Refusal"/> when the value is outside the range.</summary>
    public void Check(double value)
    {
        if (!Contains(value)) throw new ArgumentException(Refusal(value));
    }

    private static string Number(double v) =>
        double.IsNaN(v) ? "NaN" : double.IsInfinity(v) ? (v > 0 ? "infinity" : "-infinity")
        : v == Math.Floor(v) && Math.Abs(v) < 1e15 ? v.ToString("N0", CultureInfo.InvariantCulture)
        : v.ToString("G6", CultureInfo.InvariantCulture);
}

/// <summary>
/// Bounds of every numeric <see cref="TrainingOptions"/> value. They are wide enough for any real training
/// and exist so that a typo or an absurd retrain override (epochs 1e9, a million-wide embedding) is
/// refused where it enters, not after hours on a GPU, and so that step counts and sizes stay in range.
/// Whether a model within the bounds fits the machine is checked separately, before training
/// (SslRec.Training's ModelMemory).
/// </summary>
public static class OptionLimits
{
    public static readonly OptionRange Epochs = new(nameof(TrainingOptions.Epochs), 1, 10_000,
        "passes over the training data; Recall stops improving long before 10,000");
    public static readonly OptionRange BatchSize = new(nameof(TrainingOptions.BatchSize), 2, 65_536,
        "in-batch negatives need 2; the batch softmax holds batch² scores, 16 GiB at 65,536");
    public static readonly OptionRange SslBatchSize = new(nameof(TrainingOptions.SslBatchSize), 2, 65_536,
        "the SSL loss needs 2 items; it holds batch² scores, 16 GiB at 65,536");
    public static readonly OptionRange EmbeddingDim = new(nameof(TrainingOptions.EmbeddingDim), 1, 4_096,
        "floats per value in every embedding table");
    public static readonly OptionRange OutputDim = new(nameof(TrainingOptions.OutputDim), 1, 4_096,
        "floats per published item vector");
    public static readonly OptionRange HiddenWidth = new(nameof(TrainingOptions.Hidden), 1, 16_384,
        "units per hidden layer; a layer's weights grow with the product of neighbouring widths");
    /// <summary>Most hidden layers a tower may have.</summary>
    public const int MaxHiddenLayers = 8;
    public static readonly OptionRange LearningRate = new(nameof(TrainingOptions.LearningRate), 0, 10,
        "a step size; larger ones diverge", Integer: false, MinExclusive: true);
    public static readonly OptionRange Alpha = new(nameof(TrainingOptions.Alpha), 0, 1_000,
        "weight of the SSL loss; the paper uses 0.1 to 3", Integer: false);
    public static readonly OptionRange Tau = new(nameof(TrainingOptions.Tau), 1e-4, 100,
        "temperature of the batch softmax over cosines", Integer: false);
    public static readonly OptionRange SslTau = new(nameof(TrainingOptions.SslTau), 1e-4, 100,
        "temperature of the SSL loss over cosines", Integer: false);
    public static readonly OptionRange DropoutRate = new(nameof(TrainingOptions.DropoutRate), 0, 1,
        "a probability; at 1 every value of a bag would be dropped", Integer: false, MaxExclusive: true);
    public static readonly OptionRange SpreadOut = new(nameof(TrainingOptions.SpreadOut), 0, 1_000,
        "weight of the spread-out regulariser", Integer: false);
    public static readonly OptionRange SslMix = new(nameof(TrainingOptions.SslMix), 0, 1,
        "a share of the SSL items", Integer: false);
    public static readonly OptionRange DpqGroups = new(nameof(TrainingOptions.DpqGroups), 1, 4_096,
        "groups the embedding is split into; each needs at least one dimension");
    public static readonly OptionRange Centroids = new(nameof(TrainingOptions.DpqCentroids), 2, 65_536,
        "a code of 1 to 16 bits per group");
    public static readonly OptionRange MgqeCentroids = Centroids with { Property = nameof(TrainingOptions.MgqeCentroids) };
    public static readonly OptionRange DpqTemperature = new(nameof(TrainingOptions.DpqTemperature), 1e-4, 100,
        "temperature of the softmax over −distance", Integer: false);
    public static readonly OptionRange ShuffleBuffer = new(nameof(TrainingOptions.ShuffleBuffer), 2, 100_000_000,
        "examples held in memory twice over, the next buffer being prefetched: several GB at 100,000,000");
    public static readonly OptionRange MaxEvalQueries = new(nameof(TrainingOptions.MaxEvalQueries), 0, int.MaxValue,
        "0 evaluates every held-out pair");
    public static readonly OptionRange CheckpointEvery = new(nameof(TrainingOptions.CheckpointEvery), 0, int.MaxValue,
        "0 checkpoints only at the end");
    public static readonly OptionRange MaxSteps = new(nameof(TrainingOptions.MaxSteps), 0, int.MaxValue,
        "0 trains every epoch");

    /// <summary>The range of a scalar option or of each element of an array option, by property name; null for options without one.</summary>
    public static OptionRange? For(string property) => ByProperty.GetValueOrDefault(property);

    private static readonly Dictionary<string, OptionRange> ByProperty = new OptionRange[]
    {
        Epochs, BatchSize, SslBatchSize, EmbeddingDim, OutputDim, HiddenWidth, LearningRate, Alpha, Tau, SslTau, DropoutRate, SpreadOut,
        SslMix, DpqGroups, Centroids, MgqeCentroids, DpqTemperature, ShuffleBuffer, MaxEvalQueries, CheckpointEvery, MaxSteps,
    }.ToDictionary(r => r.Property, StringComparer.Ordinal);
}
