using SslRec.Core.Synthetic;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Stages;
using SslRec.Tests.Pipeline;

namespace SslRec.Tests.Reliability;

/// <summary>Two map shards that finish together both ask for the reduce: exactly one reduce runs.</summary>
[Collection("azurite")]
public class ConcurrentStageTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Concurrent_reduce_and_remap_messages_merge_once_remap_each_shard_and_ask_for_training_once()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync(new PipelineOptions { ShardTargetBytes = 20_000 });
        SyntheticGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 3000, Items = 40, Seed = 3 });
        var (_, _, runId) = await DatasetDrop.UploadAsync(ctx, dir.Path, "race");
        var drop = (await ctx.Bus.Queue(QueueNames.Drop).ReceiveMessageAsync()).Value;
        await new DropStage(ctx).HandleAsync(QueueText.Decode(drop.Body.ToString()));
        var maps = (await ctx.Bus.Queue(QueueNames.ShardMap).ReceiveMessagesAsync(32)).Value;
        Assert.True(maps.Length > 2, $"{maps.Length} map shards");
        // All map shards at once: several may see the last shard written and each ask for the reduce.
        await Task.WhenAll(maps.Select(m => new ShardMapStage(ctx).HandleAsync(JobMessage.Parse<ShardMapMessage>(m.Body.ToString()))));
        var reduces = (await ctx.Bus.Queue(QueueNames.ShardReduce).ReceiveMessagesAsync(32)).Value;
        Assert.NotEmpty(reduces);

        // Deliver the reduce twice, concurrently, as two hosts would.
        var reduce = JobMessage.Parse<ShardReduceMessage>(reduces[0].Body.ToString());
        await Task.WhenAll(new ShardReduceStage(ctx).HandleAsync(reduce), new ShardReduceStage(ctx).HandleAsync(reduce), new ShardReduceStage(ctx).HandleAsync(reduce));

        var run = await ctx.Runs.RequireAsync(runId);
        Assert.Equal(RunState.Remapping, run.State);
        Assert.Equal(1, run.Stages["shard-reduce"].Attempts); // one merge

        // Every remap message delivered twice, all at once and out of order: each shard is remapped, training is asked for once.
        var remaps = (await ctx.Bus.Queue(QueueNames.Remap).ReceiveMessagesAsync(32)).Value
            .Select(m => JobMessage.Parse<RemapMessage>(m.Body.ToString())).ToList();
        Assert.True(remaps.Count >= maps.Length - 1, $"{remaps.Count} remap messages for {maps.Length} map shards");
        Assert.Equal(remaps.Count, remaps.Select(m => m.Index).Distinct().Count());
        await Task.WhenAll(remaps.Concat(remaps).Reverse().Select(m => new RemapStage(ctx).HandleAsync(m)));
        run = await ctx.Runs.RequireAsync(runId);
        Assert.Equal(RunState.Training, run.State);
        Assert.Single((await ctx.Bus.Queue(QueueNames.Train).ReceiveMessagesAsync(32)).Value);
        var parts = await RemapStage.ListPartsAsync(ctx.Blobs, run, default);
        Assert.Equal(run.Data!.Train, parts.Sum(p => (long)p.Train));
        Assert.Equal(run.Data!.Eval, parts.Sum(p => (long)p.Eval));

        // A remap message arriving after training was asked for does nothing.
        await new RemapStage(ctx).HandleAsync(remaps[0]);
        Assert.Empty((await ctx.Bus.Queue(QueueNames.Train).ReceiveMessagesAsync(32)).Value);
    }
}
