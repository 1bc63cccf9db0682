using SslRec.Core.Synthetic;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Stages;
using SslRec.Pipeline.Storage;
using SslRec.Tests.Pipeline;

namespace SslRec.Tests.Reliability;

/// <summary>
/// The run watchdog re-drives a run whose stage stopped with nothing working on it — the state a host killed
/// mid-message leaves (its message hidden for 10 minutes) or a message storage lost — and leaves alone a run
/// whose stage still beats a heartbeat. Messages are "lost" here by clearing the queue (failure injection
/// of the loss itself; everything else is the real pipeline on Azurite).
/// </summary>
[Collection("azurite")]
public class RunWatchdogTests(AzuriteFixture azurite)
{
    private static readonly PipelineOptions Options = new() { WatchdogStallSeconds = 1, WatchdogMaxReDrives = 2 };

    private async Task<(PipelineContext Ctx, string RunId)> DroppedAndPlannedAsync(TempDirectory dir, string dataset)
    {
        var ctx = await azurite.FreshContextAsync(Options);
        SyntheticGenerator.Generate(dir.Sub("data"), new SyntheticOptions { Interactions = 2000, Items = 40, Seed = 3 });
        var (_, _, runId) = await DatasetDrop.UploadAsync(ctx, dir.Sub("data"), dataset);
        await PumpAsync(ctx, QueueNames.Drop, StageTable.Drop);
        Assert.Equal(RunState.Mapping, (await ctx.Runs.RequireAsync(runId)).State);
        return (ctx, runId);
    }

    /// <summary>Handles every message of a queue with its stage, as a host would (heartbeats included).</summary>
    private static async Task<int> PumpAsync(PipelineContext ctx, string queue, StageDefinition stage)
    {
        var q = ctx.Bus.ReceivingQueue(queue);
        var handled = 0;
        while ((await q.ReceiveMessagesAsync(32)).Value is { Length: > 0 } batch)
            foreach (var m in batch)
            {
                await stage.MeasuredAsync(ctx, null, new QueueDelivery(QueueText.Decode(m.Body.ToString()), m.MessageId, m.DequeueCount, DateTimeOffset.UtcNow), default);
                await q.DeleteMessageAsync(m.MessageId, m.PopReceipt);
                handled++;
            }
        return handled;
    }

    private static async Task WaitPastStallAsync() => await Task.Delay(TimeSpan.FromSeconds(Options.WatchdogStallSeconds + 0.5));

    [Fact]
    public async Task A_run_whose_map_messages_were_lost_is_re_driven_and_goes_on_to_training()
    {
        using var dir = new TempDirectory();
        var (ctx, runId) = await DroppedAndPlannedAsync(dir, "lost");
        var shards = (await ctx.Runs.RequireAsync(runId)).Shards.Count;
        await ctx.Bus.Queue(QueueNames.ShardMap).ClearMessagesAsync(); // the map messages are gone
        var watchdog = new RunWatchdog(ctx);

        Assert.Empty(await watchdog.CheckAsync()); // not stalled yet: the run just changed
        await WaitPastStallAsync();
        var waiting = await watchdog.DescribeWaitAsync(await ctx.Runs.RequireAsync(runId));
        Assert.StartsWith($"map shards: 0 of {shards} done; nothing is working on it; no progress for", waiting);
        var action = Assert.Single(await watchdog.CheckAsync());
        Assert.Contains($"re-sent {shards} map task(s)", action);
        Assert.Empty(await watchdog.CheckAsync()); // re-driving counts as a change: no second re-drive at once

        Assert.Equal(shards, await PumpAsync(ctx, QueueNames.ShardMap, StageTable.ShardMap));
        await PumpAsync(ctx, QueueNames.ShardReduce, StageTable.ShardReduce);
        await PumpAsync(ctx, QueueNames.Remap, StageTable.Remap);
        var run = await ctx.Runs.RequireAsync(runId);
        Assert.Equal(RunState.Training, run.State);
        Assert.Equal(1, run.Watchdog!.TotalReDrives);
        Assert.Empty(run.Failures);
    }

    [Fact]
    public async Task Each_stalled_state_gets_its_own_stages_message_again()
    {
        using var dir = new TempDirectory();
        var (ctx, runId) = await DroppedAndPlannedAsync(dir, "stages");
        var watchdog = new RunWatchdog(ctx);

        // Every shard mapped, but the reduce request lost: a map message repeats the completion check.
        await PumpAsync(ctx, QueueNames.ShardMap, StageTable.ShardMap);
        await ctx.Bus.Queue(QueueNames.ShardReduce).ClearMessagesAsync();
        await WaitPastStallAsync();
        Assert.Contains("re-sent the reduce", Assert.Single(await watchdog.CheckAsync()));
        await PumpAsync(ctx, QueueNames.ShardReduce, StageTable.ShardReduce);

        await ctx.Bus.Queue(QueueNames.Remap).ClearMessagesAsync();
        await WaitPastStallAsync();
        Assert.Contains("remap task(s)", Assert.Single(await watchdog.CheckAsync()));
        await PumpAsync(ctx, QueueNames.Remap, StageTable.Remap);
        Assert.Equal(RunState.Training, (await ctx.Runs.RequireAsync(runId)).State);

        // Training queued for a worker is waiting, not stuck; once its message is lost it is re-sent.
        await WaitPastStallAsync();
        Assert.Equal("", string.Join("; ", await watchdog.CheckAsync()));
        await ctx.Bus.Queue(QueueNames.Train).ClearMessagesAsync();
        Assert.Contains("re-sent the training message", Assert.Single(await watchdog.CheckAsync()));
        var train = (await ctx.Bus.ReceivingQueue(QueueNames.Train).ReceiveMessageAsync()).Value;
        Assert.Equal(runId, JobMessage.Parse<TrainMessage>(QueueText.Decode(train.Body.ToString())).RunId);
    }

    [Fact]
    public async Task A_stage_that_still_beats_its_heartbeat_is_left_alone()
    {
        using var dir = new TempDirectory();
        var (ctx, runId) = await DroppedAndPlannedAsync(dir, "alive");
        await ctx.Bus.Queue(QueueNames.ShardMap).ClearMessagesAsync();
        var release = new TaskCompletionSource();
        // A slow map task that beats while it works (as a live host does), longer than the stall time.
        var working = InFlight.RunAsync(ctx, runId, ShardMapStage.Name, "slow-message", "shard 0", () => release.Task);
        await WaitPastStallAsync();
        Assert.Empty(await new RunWatchdog(ctx).CheckAsync());
        Assert.Contains($"1 message(s) in flight (shard-map on {Environment.MachineName}", await new RunWatchdog(ctx).DescribeWaitAsync(await ctx.Runs.RequireAsync(runId)));
        release.SetResult();
        await working;
        Assert.Empty(await ctx.Blobs.ListAsync(BlobLayout.Artifacts, BlobLayout.InFlightPrefix(runId))); // the marker is gone with the work

        Assert.Single(await new RunWatchdog(ctx).CheckAsync()); // now nothing works on it
    }

    [Fact]
    public async Task A_run_re_driven_again_and_again_without_progress_is_failed_naming_the_stage()
    {
        using var dir = new TempDirectory();
        var (ctx, runId) = await DroppedAndPlannedAsync(dir, "dies");
        var watchdog = new RunWatchdog(ctx);
        for (var i = 0; i < Options.WatchdogMaxReDrives; i++)
        {
            await ctx.Bus.Queue(QueueNames.ShardMap).ClearMessagesAsync(); // each re-driven message "dies" with its process
            await WaitPastStallAsync();
            Assert.Contains("re-sent", Assert.Single(await watchdog.CheckAsync()));
        }
        await WaitPastStallAsync();
        Assert.Contains("failed", Assert.Single(await watchdog.CheckAsync()));

        var run = await ctx.Runs.RequireAsync(runId);
        Assert.Equal(RunState.Failed, run.State);
        var failure = Assert.Single(run.Failures);
        Assert.Equal(ShardMapStage.Name, failure.Stage);
        Assert.Contains($"after {Options.WatchdogMaxReDrives} re-drives", failure.Message);
        Assert.DoesNotContain(runId, await ctx.Runs.ListActiveAsync()); // a failed run is no longer watched
    }
}
