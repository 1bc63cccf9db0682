using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Queues;
using SslRec.Core.Artifacts;
using SslRec.Core.Metrics;
using SslRec.Core.Synthetic;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;
using SslRec.Tests.Training;
using SslRec.Worker;

namespace SslRec.Tests.Pipeline;

/// <summary>
/// A training longer than one execution's time budget (in Azure: the GPU job's replica timeout) runs across
/// several train-worker executions: each stops at its budget with a checkpoint and hands the run to a
/// continuation message, and the result is exactly the model of a run that never stopped.
/// </summary>
[Collection("azurite")]
public class TrainHandOverTests(AzuriteFixture azurite)
{
    private static readonly SyntheticOptions Data = new() { Interactions = 6000, Items = 200, Seed = 21 };
    private static readonly TorchModelTrainer Trainer = new(TinyData.Options with { Epochs = 80 }, "cpu"); // ~1,800 steps: several seconds even on a fast machine
    private static readonly TimeSpan Visibility = TimeSpan.FromSeconds(3);
    private const double BudgetSeconds = 1.0;

    /// <summary>The uninterrupted run's loss history and metrics (computed once, before any test clears storage).</summary>
    private static Task<(string Losses, MetricsReport Metrics)>? _reference;

    private Task<(string Losses, MetricsReport Metrics)> ReferenceAsync() => _reference ??= TrainUninterruptedAsync();

    private async Task<(string, MetricsReport)> TrainUninterruptedAsync()
    {
        using var dir = new TempDirectory();
        var options = new PipelineOptions { TrainTimeBudgetSeconds = 0 };
        var ctx = await azurite.FreshContextAsync(options);
        var runId = await azurite.DropUntilTrainingAsync(ctx, dir, "whole", Data, options);
        Assert.Equal(TrainWorker.Outcome.Completed, await new TrainWorker(ctx, Trainer, Visibility).RunOnceAsync());
        return await CandidateAsync(ctx, runId);
    }

    private static async Task<(string Losses, MetricsReport Metrics)> CandidateAsync(PipelineContext ctx, string runId)
    {
        var prefix = BlobLayout.CandidatePrefix(runId);
        var losses = (await ctx.Blobs.TryDownloadAsync(BlobLayout.Artifacts, prefix + ModelOutput.Losses))!.ToString();
        var metrics = MetricsReport.FromJson((await ctx.Blobs.TryDownloadAsync(BlobLayout.Artifacts, prefix + ModelOutput.Metrics))!.ToString());
        return (losses, metrics);
    }

    private static void AssertSameModel((string Losses, MetricsReport Metrics) expected, (string Losses, MetricsReport Metrics) actual)
    {
        Assert.Equal(expected.Losses, actual.Losses); // every step's total, main and SSL loss, to six significant digits
        Assert.Equal(expected.Metrics.Recall, actual.Metrics.Recall);
        Assert.Equal(expected.Metrics.Config["steps"].ToString(), actual.Metrics.Config["steps"].ToString());
    }

    private static readonly PipelineOptions Budgeted = new() { TrainTimeBudgetSeconds = BudgetSeconds, CheckpointEvery = 1000 };

    /// <summary>A dropped dataset, mapped and remapped, waiting for training under a budget of <see cref="BudgetSeconds"/>.</summary>
    private async Task<(PipelineContext Ctx, string RunId)> BudgetedRunWaitingForTrainingAsync(TempDirectory dir, string dataset)
    {
        var ctx = await azurite.FreshContextAsync(Budgeted);
        return (ctx, await azurite.DropUntilTrainingAsync(ctx, dir, dataset, Data, Budgeted));
    }

    [Fact]
    public async Task A_training_longer_than_its_budget_runs_across_executions_on_fresh_messages_and_gives_the_uninterrupted_model()
    {
        var reference = await ReferenceAsync();
        using var dir = new TempDirectory();
        var (ctx, runId) = await BudgetedRunWaitingForTrainingAsync(dir, "long");

        // Each `train-worker` execution is a new worker, as each GPU job execution is a new container.
        var outcomes = new List<TrainWorker.Outcome>();
        var dequeueCounts = new List<long>();
        var steps = new List<string>();
        while (outcomes.Count < 200 && outcomes.LastOrDefault() != TrainWorker.Outcome.Completed)
        {
            var worker = new TrainWorker(ctx, Trainer, Visibility);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            outcomes.Add(await worker.RunOnceAsync());
            dequeueCounts.Add(worker.LastDequeueCount);
            steps.Add($"{outcomes[^1]} at step {(await ctx.Runs.RequireAsync(runId)).Training?.Step} after {clock.Elapsed.TotalSeconds:F1} s");
        }

        Assert.Equal(TrainWorker.Outcome.Completed, outcomes[^1]);
        Assert.True(outcomes.Count >= 3, $"{outcomes.Count} executions ({string.Join("; ", steps)}): the training took less than two budgets ({BudgetSeconds} s)");
        Assert.All(outcomes[..^1], o => Assert.Equal(TrainWorker.Outcome.HandedOver, o));
        Assert.All(dequeueCounts, c => Assert.Equal(1, c)); // a hand-over is never a failed attempt
        var run = await ctx.Runs.RequireAsync(runId);
        Assert.Equal(RunState.Evaluated, run.State);
        Assert.Empty(run.Failures);
        Assert.Equal(outcomes.Count, run.Training!.Executions);
        Assert.True(run.Training.ResumedFromStep > 0);
        AssertSameModel(reference, await CandidateAsync(ctx, runId));
        Assert.Null((await ctx.Bus.Queue(QueueNames.Train).PeekMessageAsync()).Value);
        Assert.Null((await ctx.Bus.Queue(QueueNames.Poison(QueueNames.Train)).PeekMessageAsync()).Value);
    }

    /// <summary>
    /// Failure injection (it fakes one thing, and says so): the first Delete Message on the training queue
    /// throws before it is sent, as if the execution died right after sending its continuation.
    /// </summary>
    private sealed class DiesBeforeFirstDelete : HttpPipelineSynchronousPolicy
    {
        public int Deletes;

        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.Request.Method == RequestMethod.Delete && message.Request.Uri.Path.Contains($"/{QueueNames.Train}/messages/", StringComparison.Ordinal)
                && Interlocked.Increment(ref Deletes) == 1)
                throw new IOException("failure injection: the execution died between sending its continuation and deleting its message");
        }
    }

    [Fact]
    public async Task An_execution_killed_between_sending_its_continuation_and_deleting_its_message_loses_nothing()
    {
        var reference = await ReferenceAsync();
        using var dir = new TempDirectory();
        var (ctx, runId) = await BudgetedRunWaitingForTrainingAsync(dir, "killed");

        var queueOptions = new QueueClientOptions(StorageSettings.EmulatorQueueVersion) { MessageEncoding = QueueMessageEncoding.Base64 };
        var dies = new DiesBeforeFirstDelete();
        queueOptions.AddPolicy(dies, HttpPipelinePosition.PerCall);
        var dying = new PipelineContext(ctx.Blobs, new MessageBus(new QueueServiceClient(azurite.Azurite.ConnectionString, queueOptions)), options: Budgeted);
        await Assert.ThrowsAsync<IOException>(() => new TrainWorker(dying, Trainer, Visibility).RunOnceAsync());
        Assert.Equal(1, dies.Deletes);
        // Both messages are there: the continuation (visible) and the dead execution's own (back after its timeout).
        Assert.Equal(2, (await ctx.Bus.Queue(QueueNames.Train).GetPropertiesAsync()).Value.ApproximateMessagesCount);

        var outcomes = new List<TrainWorker.Outcome>();
        var quietSince = DateTime.UtcNow;
        while (outcomes.Count < 300 && DateTime.UtcNow - quietSince < Visibility * 2)
        {
            var outcome = await new TrainWorker(ctx, Trainer, Visibility).RunOnceAsync();
            if (outcome == TrainWorker.Outcome.NoMessage) await Task.Delay(200);
            else
            {
                outcomes.Add(outcome);
                quietSince = DateTime.UtcNow;
            }
        }

        Assert.Contains(TrainWorker.Outcome.Completed, outcomes);
        Assert.DoesNotContain(TrainWorker.Outcome.Failed, outcomes);
        Assert.DoesNotContain(TrainWorker.Outcome.Poisoned, outcomes);
        var run = await ctx.Runs.RequireAsync(runId);
        Assert.Equal(RunState.Evaluated, run.State);
        Assert.Empty(run.Failures);
        AssertSameModel(reference, await CandidateAsync(ctx, runId));
        Assert.Equal(0, (await ctx.Bus.Queue(QueueNames.Train).GetPropertiesAsync()).Value.ApproximateMessagesCount);
        Assert.Null((await ctx.Bus.Queue(QueueNames.Poison(QueueNames.Train)).PeekMessageAsync()).Value);
    }

    [Fact]
    public async Task A_message_whose_executions_keep_dying_is_poisoned_and_fails_its_run_visibly()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        var runId = await azurite.DropUntilTrainingAsync(ctx, dir, "dies", new SyntheticOptions { Interactions = 300, Items = 20, Seed = 4 });
        var visibility = TimeSpan.FromSeconds(1);

        // Two executions killed mid-training (past the replica timeout, out of memory): nothing recorded a failure.
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            using var kill = new CancellationTokenSource();
            var trainer = new KillAtStep(new TorchModelTrainer(TinyData.Options with { Epochs = 50 }, "cpu"), 2, kill);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new TrainWorker(ctx, trainer, visibility, maxDequeueCount: 2).RunOnceAsync(kill.Token));
            await Task.Delay(visibility + TimeSpan.FromSeconds(0.5));
        }

        Assert.Equal(TrainWorker.Outcome.Poisoned, await new TrainWorker(ctx, Trainer, visibility, maxDequeueCount: 2).RunOnceAsync());
        var run = await ctx.Runs.RequireAsync(runId);
        Assert.Equal(RunState.Failed, run.State);
        var failure = Assert.Single(run.Failures);
        Assert.Equal("train", failure.Stage);
        Assert.Contains($"moved to {QueueNames.Poison(QueueNames.Train)}", failure.Message);
        Assert.Contains("ended without finishing", failure.Message);
        var rejected = Assert.Single(await PoisonRecorder.ListAsync(ctx));
        Assert.Equal(runId, rejected.RunId);
        Assert.NotNull((await ctx.Bus.Queue(QueueNames.Poison(QueueNames.Train)).PeekMessageAsync()).Value);
    }
}
