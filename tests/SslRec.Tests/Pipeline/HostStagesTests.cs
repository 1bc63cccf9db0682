using SslRec.Core.Synthetic;
using SslRec.LocalHost;
using SslRec.Pipeline;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Runs;

namespace SslRec.Tests.Pipeline;

/// <summary>`sslrec host --stages`: a host that reads only some queues, as a Functions app scales each function on its own.</summary>
[Collection("azurite")]
public class HostStagesTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_host_limited_to_the_drop_stage_plans_the_run_and_leaves_the_map_messages_to_another_host()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        SyntheticGenerator.Generate(dir.Sub("data"), new SyntheticOptions { Interactions = 300, Items = 20, Seed = 2 });
        var (_, _, runId) = await DatasetDrop.UploadAsync(ctx, dir.Sub("data"), "only");
        using (var host = LocalPipelineHost.Build(PipelineSettings.Local(azurite.Storage), trainer: null, AzuriteFixture.FastHostJson(dir), stages: new HashSet<string> { "drop" }))
        {
            await host.StartAsync();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((await ctx.Runs.GetAsync(runId))?.State != RunState.Mapping && DateTime.UtcNow < deadline) await Task.Delay(100);
            await Task.Delay(1500); // polling every 200 ms: a host reading the map queue would have taken its messages by now
            await host.StopAsync();
        }
        Assert.Equal(RunState.Mapping, (await ctx.Runs.RequireAsync(runId)).State);
        var waiting = (await ctx.Bus.Queue(QueueNames.ShardMap).GetPropertiesAsync()).Value.ApproximateMessagesCount;
        Assert.Equal((await ctx.Runs.RequireAsync(runId)).Shards.Count, waiting);

        var e = Assert.Throws<ArgumentException>(() => LocalPipelineHost.Build(PipelineSettings.Local(azurite.Storage), null, AzuriteFixture.FastHostJson(dir), stages: new HashSet<string> { "shard-mapp" }));
        Assert.Contains("shard-mapp", e.Message);
    }
}
