using System.Text.Json.Nodes;
using SslRec.Core.Checkpoints;
using SslRec.Core.Data;
using SslRec.Core.Metrics;
using SslRec.Core.Options;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Settings;

namespace SslRec.Pipeline;

/// <summary>
/// Trains and evaluates a model on an encoded dataset. The pipeline stays free of TorchSharp: the
/// training worker plugs in the implementation (SslRec.Worker).
/// </summary>
public interface IModelTrainer
{
    TrainingOutcome Train(TrainingRequest request, CancellationToken ct);

    /// <summary>
    /// Recall@K by slice ("all", "head", "tail" → "10", "50", "100") of an earlier model — the full bundle in
    /// <paramref name="modelDirectory"/> — on this dataset's hold-out and corpus, for a publish gate that
    /// compares on the same data; null when this trainer cannot (the gate then says so).
    /// </summary>
    Dictionary<string, Dictionary<string, double>>? RecallOfEarlierModel(EncodedDataset data, string modelDirectory, int maxEvalQueries, CancellationToken ct) => null;
}

/// <param name="CheckpointEvery">the deployment's checkpoint cadence (<see cref="PipelineOptions.CheckpointEvery"/>)</param>
/// <param name="MaxEvalQueries">the deployment's evaluation cap (<see cref="PipelineOptions.MaxEvalQueries"/>); null: the trainer's own</param>
/// <param name="SuspendAt">training past this time checkpoints and throws TrainingSuspendedException (the execution's time budget)</param>
public sealed record TrainingRequest(
    EncodedDataset Data,
    JsonObject? Overrides,
    ICheckpointStore Checkpoints,
    int CheckpointEvery,
    string OutputDirectory,
    Action<TrainingProgressInfo> Progress,
    string? WarmStartDirectory = null,
    int? MaxEvalQueries = null,
    DateTimeOffset? SuspendAt = null)
{
    /// <summary>
    /// The options this run trains with: the trainer's defaults, then the deployment's values of the training
    /// options it sets (checkpoint cadence, evaluation cap), then the run's overrides — so a retrain may ask
    /// for max_eval_queries=0 (every held-out pair) under a deployment that caps evaluation.
    /// </summary>
    /// <exception cref="ArgumentException">an override or a resulting combination that <see cref="TrainingOptions.Validate"/> refuses</exception>
    public TrainingOptions RunOptions(TrainingOptions trainerDefaults) => TrainingOverrides.Apply(
        trainerDefaults with { CheckpointEvery = CheckpointEvery, MaxEvalQueries = MaxEvalQueries ?? trainerDefaults.MaxEvalQueries }, Overrides);
}

/// <summary>Files the trainer wrote under the output directory (relative names are the candidate's blob names).</summary>
public sealed record TrainingOutcome(MetricsReport Metrics, IReadOnlyList<string> Files, int ResumedFromStep);
