using SslRec.Pipeline;

namespace SslRec.Tests.Pipeline;

/// <summary>
/// Failure injection: wraps the real trainer and cancels the worker's token once training reaches a
/// step (the trainer reports every step; the run record only every few seconds), the way a container
/// killed mid-training stops.
/// </summary>
public sealed class KillAtStep(IModelTrainer inner, int step, CancellationTokenSource kill) : IModelTrainer
{
    public TrainingOutcome Train(TrainingRequest r, CancellationToken ct) => inner.Train(r with
    {
        Progress = p =>
        {
            r.Progress(p);
            if (p.Step >= step) kill.Cancel();
        },
    }, ct);

    public Dictionary<string, Dictionary<string, double>>? RecallOfEarlierModel(SslRec.Core.Data.EncodedDataset data, string modelDirectory, int maxEvalQueries, CancellationToken ct) =>
        inner.RecallOfEarlierModel(data, modelDirectory, maxEvalQueries, ct);
}
