using System.Globalization;
using SslRec.Core.Artifacts;
using SslRec.Core.Options;
using SslRec.Pipeline;
using SslRec.Pipeline.Runs;
using SslRec.Training;

namespace SslRec.Worker;

/// <summary>The pipeline's trainer: TorchSharp training and evaluation with blob checkpoints.</summary>
public sealed class TorchModelTrainer(TrainingOptions? defaults = null, string device = "auto", Action<string>? log = null) : IModelTrainer
{
    private readonly TrainingOptions _defaults = defaults ?? new TrainingOptions();

    /// <summary>How often training writes a progress line to the log (the run record is updated more often).</summary>
    public static readonly TimeSpan ProgressLogInterval = TimeSpan.FromSeconds(30);

    public TrainingOutcome Train(TrainingRequest request, CancellationToken ct)
    {
        var options = request.RunOptions(_defaults);
        var resumedFrom = 0;
        DateTime? lastLine = null;
        // Laid out as the published version is: the candidate's files upload as they are.
        var output = ModelOutput.Candidate(request.OutputDirectory);
        var run = new TrainingRun
        {
            Checkpoints = request.Checkpoints, Resume = true, WarmStartFrom = request.WarmStartDirectory, SuspendAt = request.SuspendAt, Cancel = ct,
            Log = message => log?.Invoke(message),
            Progress = p =>
            {
                resumedFrom = p.ResumedFromStep;
                // A line in the worker's log every so often (a GPU job's log stream is not a terminal), and at the last step.
                var now = DateTime.UtcNow;
                lastLine ??= now;
                if (log is not null && (p.Step >= p.TotalSteps || now - lastLine.Value >= ProgressLogInterval))
                {
                    lastLine = now;
                    log(string.Create(CultureInfo.InvariantCulture, $"step {p.Step:N0}/{p.TotalSteps:N0} epoch {p.Epoch + 1} loss {p.Loss:F4} {p.ExamplesPerSecond:N0} ex/s"));
                }
                request.Progress(new TrainingProgressInfo
                {
                    Step = p.Step, TotalSteps = p.TotalSteps, Loss = p.Loss, ExamplesPerSecond = p.ExamplesPerSecond,
                    ResumedFromStep = p.ResumedFromStep, UpdatedAt = DateTimeOffset.UtcNow,
                });
            },
        };
        var metrics = TrainJob.TrainAndEvaluate(request.Data, options, TorchSetup.ResolveDevice(device), run, output);
        return new TrainingOutcome(metrics, output.Files, resumedFrom);
    }

    public Dictionary<string, Dictionary<string, double>>? RecallOfEarlierModel(SslRec.Core.Data.EncodedDataset data, string modelDirectory, int maxEvalQueries, CancellationToken ct) =>
        SslRec.Training.Evaluation.SameDataRecall.Compute(data, modelDirectory, TorchSetup.ResolveDevice(device), maxEvalQueries);
}
