using System.Diagnostics;
using SslRec.Core.Synthetic;
using SslRec.LocalHost;
using SslRec.Pipeline;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Runs;
using SslRec.Tests.Pipeline;
using SslRec.Tests.Training;
using SslRec.Worker;

namespace SslRec.Tests.Reliability;

/// <summary>
/// A training worker that stops mid-run (its execution ends: no renewal, no delete) leaves its message to
/// reappear after the visibility timeout, and the next worker resumes from the last blob checkpoint.
/// (bench/faults.sh measures the same with kill -9 of real processes.)
/// </summary>
[Collection("azurite")]
public class TrainWorkerRecoveryTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task The_next_worker_takes_over_within_the_visibility_timeout_and_resumes_from_the_checkpoint()
    {
        using var dir = new TempDirectory();
        var options = new PipelineOptions { CheckpointEvery = 5 };
        var ctx = await azurite.FreshContextAsync(options);
        var runId = await azurite.DropUntilTrainingAsync(ctx, dir, "die", new SyntheticOptions { Interactions = 6000, Items = 200, Seed = 12 }, options);

        var visibility = TimeSpan.FromSeconds(4);
        var trainer = new TorchModelTrainer(TinyData.Options with { Epochs = 40, CheckpointEvery = 5 }, "cpu");
        using (var dying = new CancellationTokenSource())
        {
            // The execution ends at step 12 (after the step-10 checkpoint): its renewals stop, its message is not
            // deleted. Watching the run record instead let a fast machine finish all steps before the record,
            // updated every 5 s, showed step 12 (then the run was already evaluated and nothing was resumed).
            var first = new TrainWorker(ctx, new KillAtStep(trainer, 12, dying), visibility).RunOnceAsync(dying.Token);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        }

        // The message is back within the visibility timeout (the last renewal at most a third of it earlier).
        var clock = Stopwatch.StartNew();
        while ((await ctx.Bus.Queue(QueueNames.Train).PeekMessageAsync()).Value is null && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(100);
        Assert.True(clock.Elapsed <= visibility + TimeSpan.FromSeconds(2), $"the message came back after {clock.Elapsed.TotalSeconds:F1} s");

        Assert.Equal(TrainWorker.Outcome.Completed, await new TrainWorker(ctx, trainer, visibility).RunOnceAsync());

        var run = await ctx.Runs.RequireAsync(runId);
        Assert.Equal(RunState.Evaluated, run.State);
        var checkpoints = await ctx.Blobs.ListAsync(SslRec.Pipeline.Storage.BlobLayout.Artifacts, SslRec.Pipeline.Storage.BlobLayout.CheckpointPrefix(runId));
        Assert.True(run.Training!.ResumedFromStep >= 10,
            $"resumed from step {run.Training.ResumedFromStep} (step {run.Training.Step}/{run.Training.TotalSteps}; checkpoints now: {string.Join(", ", checkpoints.Select(c => c.Name))}; failures: {string.Join("; ", run.Failures.Select(f => f.Message))})");
    }
}
