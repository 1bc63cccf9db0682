using SslRec.Core.Checkpoints;
using SslRec.Training.Loop;

namespace SslRec.Training;

/// <summary>How one training runs, beyond the options that shape the model: where it checkpoints, where it starts from, what it reports, when it stops.</summary>
public sealed record TrainingRun
{
    /// <summary>Where checkpoints go (none: no checkpoints, as an experiment's cells train).</summary>
    public ICheckpointStore? Checkpoints { get; init; }
    /// <summary>Continue from the newest checkpoint in <see cref="Checkpoints"/> when there is one.</summary>
    public bool Resume { get; init; }
    /// <summary>A model bundle (model/) to start from when not resuming: a retrain's warm start.</summary>
    public string? WarmStartFrom { get; init; }
    /// <summary>The execution's time budget: the first step past it checkpoints and throws TrainingSuspendedException.</summary>
    public DateTimeOffset? SuspendAt { get; init; }
    public Action<string> Log { get; init; } = _ => { };
    public Action<TrainingProgress>? Progress { get; init; }
    public CancellationToken Cancel { get; init; }
}
