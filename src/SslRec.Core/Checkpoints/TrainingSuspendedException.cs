namespace SslRec.Core.Checkpoints;

/// <summary>
/// Training stopped on purpose at its time budget, after saving a checkpoint at <see cref="Step"/>: not a
/// failure. The pipeline's train worker hands the run to the next execution (a continuation message), so
/// a training longer than one GPU execution may run (the job's replica timeout) still finishes, with
/// exactly the steps an uninterrupted run takes.
/// </summary>
public sealed class TrainingSuspendedException(int step, int totalSteps)
    : Exception($"training suspended at its time budget after step {step}/{totalSteps}; the checkpoint at step {step} holds its state")
{
    public int Step { get; } = step;
    public int TotalSteps { get; } = totalSteps;
}
