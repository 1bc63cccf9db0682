using SslRec.Core.Data;
using SslRec.Core.Options;
using SslRec.Core.Statistics;
using SslRec.Training.Loop;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Training;

/// <summary>
/// Train: data and options in, a trained model (with its loss history) out. The one driver of a whole
/// training — `sslrec train`, the pipeline's train stage, experiments and the benchmarks that train end to
/// end go through it; it resumes or warm-starts, says what it will run and what it holds, and trains.
/// </summary>
public static class ModelTraining
{
    /// <summary>Returns the trainer holding the trained model (<see cref="Trainer.Result"/>); the caller disposes it.</summary>
    /// <param name="items">the item features' statistics, shared with whatever else reads them (computed from the data when null)</param>
    /// <exception cref="SslRec.Core.Checkpoints.TrainingSuspendedException">the run's suspend time passed (after a checkpoint)</exception>
    public static Trainer Train(EncodedDataset data, TrainingOptions options, Device device, TrainingRun run, ItemFeatureStatistics? items = null)
    {
        var trainer = new Trainer(data, options, device, items);
        try
        {
            var log = run.Log;
            if (run.Resume && run.Checkpoints is { } store && trainer.TryResume(store))
                log($"resumed from checkpoint at step {trainer.State.Step}/{trainer.State.TotalSteps}");
            else if (run.WarmStartFrom is not null)
            {
                var w = WarmStart.Apply(trainer.Model, data, run.WarmStartFrom);
                log($"warm start: {w.RowsCopied:N0} embedding rows of {w.FeaturesMatched} features and {w.LayersCopied} tower layers from the previous model");
            }
            log($"training on {device.type}: {Plan(trainer)}, ssl={options.Ssl.ToString().ToLowerInvariant()}, α={options.Alpha}");
            var deviceIsHost = device.type != TorchSharp.DeviceType.CUDA;
            log($"memory: {trainer.Memory.Summary(deviceIsHost)}" +
                (trainer.AvailableMemory is { } available ? $"; {ModelMemory.Size(available.Bytes)} available ({available.Source})" : "; the device does not say what it has available"));
            trainer.Train(run.Checkpoints, run.Progress, run.Cancel, run.SuspendAt);
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    /// <summary>The steps this training will run, as a user reads them: "424 steps (53/epoch × 8 epochs)", or the --max-steps cut.</summary>
    public static string Plan(Trainer trainer)
    {
        var total = trainer.State.TotalSteps;
        var max = trainer.Options.MaxSteps;
        var epochs = trainer.Options.Epochs;
        return max > 0 && max < total
            ? $"{max:N0} steps (--max-steps {max:N0}; {epochs} epochs would be {total:N0} steps of {trainer.StepsPerEpoch:N0}/epoch)"
            : $"{total:N0} steps ({trainer.StepsPerEpoch:N0}/epoch × {epochs} epoch{(epochs == 1 ? "" : "s")})";
    }
}
