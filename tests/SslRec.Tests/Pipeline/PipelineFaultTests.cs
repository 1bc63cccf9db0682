using Microsoft.Extensions.Hosting;
using SslRec.Core.Synthetic;
using SslRec.LocalHost;
using SslRec.Pipeline;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Stages;
using SslRec.Pipeline.Storage;
using SslRec.Tests.Training;
using SslRec.Worker;

namespace SslRec.Tests.Pipeline;

[Collection("azurite")]
public class PipelineFaultTests(AzuriteFixture azurite)
{
    private static readonly PipelineOptions Options = new() { CheckpointEvery = 5 };

    [Fact]
    public async Task A_message_that_keeps_failing_lands_in_the_poison_queue_with_its_error()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync(Options);
        // A map task of a run that has no record: an error a retry could fix (a record written late), so it is
        // retried to the poison queue. (A message no attempt can read is rejected at once: EdgeChecksTests.)
        const string text = """{"v":1,"run":"ghost.v1","index":0,"blob":"ghost/v1/a.csv"}""";
        await ctx.Bus.SendTextAsync(QueueNames.ShardMap, text);
        using var host = LocalPipelineHost.Build(PipelineSettings.Local(azurite.Storage, Options), trainer: null, AzuriteFixture.FastHostJson(dir));
        await host.StartAsync();
        var poison = ctx.Bus.Queue(QueueNames.Poison(QueueNames.ShardMap));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await poison.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0 && DateTime.UtcNow < deadline) await Task.Delay(200);
        await host.StopAsync();

        var message = Assert.Single((await poison.ReceiveMessagesAsync(10)).Value);
        Assert.Equal(text, message.Body.ToString());
        var errors = await ctx.Blobs.ListAsync(BlobLayout.Artifacts, $"poison/{QueueNames.ShardMap}/");
        var error = (await ctx.Blobs.TryDownloadAsync(BlobLayout.Artifacts, Assert.Single(errors).Name))!.ToString();
        Assert.Contains("InvalidOperationException", error);
        Assert.Contains("has no record", error);
        Assert.Contains("\"dequeue_count\": 3", error); // host.json's maxDequeueCount
    }

    [Fact]
    public async Task An_upload_without_ready_is_ignored_until_its_marker_appears()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync(Options);
        SyntheticGenerator.Generate(dir.Sub("data"), new SyntheticOptions { Interactions = 500, Items = 40, Seed = 3 });
        foreach (var f in Directory.GetFiles(Path.Combine(dir.Path, "data")))
            await ctx.Blobs.UploadFileAsync(BlobLayout.Datasets, $"partial/v1/{Path.GetFileName(f)}", f);

        // A BlobCreated event for a data file (not _READY) starts nothing, and neither does a scan.
        var dataBlob = ctx.Blobs.Blob(BlobLayout.Datasets, "partial/v1/interactions.csv");
        await new DropStage(ctx).HandleAsync(DropEvents.BuildBlobCreated(dataBlob.Uri, BlobLayout.Datasets, "partial/v1/interactions.csv", 10));
        Assert.Empty(await UnclaimedDrops.EnqueueAsync(ctx));
        Assert.Empty(await ctx.Runs.ListAsync());
        Assert.Equal(0, (await ctx.Bus.Queue(QueueNames.ShardMap).GetPropertiesAsync()).Value.ApproximateMessagesCount);

        // Once _READY exists (here without an event), the scan claims it exactly once.
        await ctx.Blobs.UploadAsync(BlobLayout.Datasets, BlobLayout.ReadyBlob("partial", "v1"), BinaryData.FromString(""));
        Assert.Equal(["partial@v1"], await UnclaimedDrops.EnqueueAsync(ctx));
        var drop = (await ctx.Bus.Queue(QueueNames.Drop).ReceiveMessageAsync()).Value;
        await new DropStage(ctx).HandleAsync(drop.Body.ToString());
        var run = Assert.Single(await ctx.Runs.ListAsync());
        Assert.Equal(RunState.Mapping, run.State);
        Assert.Empty(await UnclaimedDrops.EnqueueAsync(ctx));
    }

    [Fact]
    public async Task Bad_rows_fail_the_run_with_file_row_and_field_and_nothing_is_published()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync(Options);
        var data = dir.Sub("data");
        SyntheticGenerator.Generate(data, new SyntheticOptions { Interactions = 300, Items = 30, Seed = 3 });
        File.AppendAllText(Path.Combine(data, "interactions.csv"), "u1,k1,ios,b001\n");
        var runId = await DropAndMapAsync(ctx, data, "broken", reduce: false);
        var run = await ctx.Runs.RequireAsync(runId);
        Assert.Equal(RunState.Failed, run.State);
        Assert.Contains(run.Failures, f => f.Message.Contains("interactions.csv, row 302: expected 6 fields"));
        Assert.Equal(0, (await ctx.Bus.Queue(QueueNames.ShardReduce).GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task A_worker_killed_between_checkpoints_leaves_its_message_and_the_retry_resumes_to_the_same_step_count()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync(Options);
        var data = dir.Sub("data");
        SyntheticGenerator.Generate(data, new SyntheticOptions { Interactions = 3000, Items = 100, Seed = 8 });
        var runId = await DropAndMapAsync(ctx, data, "resume", reduce: true);

        var trainer = new TorchModelTrainer(TinyData.Options with { Epochs = 2 }, "cpu");
        var visibility = TimeSpan.FromSeconds(2);
        using (var kill = new CancellationTokenSource())
        {
            var dying = new TrainWorker(ctx, new KillAtStep(trainer, 12, kill), visibility);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dying.RunOnceAsync(kill.Token));
        }
        var checkpoints = new BlobCheckpointStore(ctx.Blobs, runId).List();
        Assert.Equal(10, checkpoints[^1].Step); // every 5 steps; killed at 12

        // The message was not deleted: it comes back once its visibility timeout passes.
        await Task.Delay(visibility + TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await ctx.Bus.Queue(QueueNames.Train).GetPropertiesAsync()).Value.ApproximateMessagesCount);

        var outcome = await new TrainWorker(ctx, trainer, visibility).RunOnceAsync();
        Assert.Equal(TrainWorker.Outcome.Completed, outcome);
        var run = await ctx.Runs.RequireAsync(runId);
        Assert.Equal(RunState.Evaluated, run.State);
        Assert.Equal(10, run.Training!.ResumedFromStep);
        Assert.Equal(run.Training.TotalSteps, run.Training.Step);
        var metrics = SslRec.Core.Metrics.MetricsReport.FromJson((await ctx.Blobs.TryDownloadAsync(BlobLayout.Artifacts, BlobLayout.CandidatePrefix(runId) + "metrics.json"))!.ToString());
        Assert.Equal(run.Training.TotalSteps, Convert.ToInt32(metrics.Config["steps"].ToString()));
        Assert.Equal(0, (await ctx.Bus.Queue(QueueNames.Train).GetPropertiesAsync()).Value.ApproximateMessagesCount);
        Assert.Equal(1, (await ctx.Bus.Queue(QueueNames.Publish).GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    /// <summary>Uploads a dataset and runs drop, map and (optionally) reduce and remap by pumping their queues.</summary>
    private static async Task<string> DropAndMapAsync(PipelineContext ctx, string data, string dataset, bool reduce)
    {
        var (_, _, runId) = await DatasetDrop.UploadAsync(ctx, data, dataset);
        await PumpAsync(ctx, QueueNames.Drop, m => new DropStage(ctx).HandleAsync(m));
        await PumpAsync(ctx, QueueNames.ShardMap, m => new ShardMapStage(ctx).HandleAsync(JobMessage.Parse<ShardMapMessage>(m)));
        if (!reduce) return runId;
        await PumpAsync(ctx, QueueNames.ShardReduce, m => new ShardReduceStage(ctx).HandleAsync(JobMessage.Parse<ShardReduceMessage>(m)));
        await PumpAsync(ctx, QueueNames.Remap, m => new RemapStage(ctx).HandleAsync(JobMessage.Parse<RemapMessage>(m)));
        return runId;
    }

    /// <summary>Handles every message of a queue with a stage, as a host would, without one.</summary>
    private static async Task PumpAsync(PipelineContext ctx, string queue, Func<string, Task> handle)
    {
        var q = ctx.Bus.Queue(queue);
        while (true)
        {
            var batch = (await q.ReceiveMessagesAsync(32)).Value;
            if (batch.Length == 0) return;
            foreach (var m in batch)
            {
                await handle(m.Body.ToString());
                await q.DeleteMessageAsync(m.MessageId, m.PopReceipt);
            }
        }
    }
}
