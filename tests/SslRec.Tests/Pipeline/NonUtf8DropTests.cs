using System.Text;
using Microsoft.Extensions.Hosting;
using SslRec.Core.Synthetic;
using SslRec.LocalHost;
using SslRec.Pipeline;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;

namespace SslRec.Tests.Pipeline;

/// <summary>A dataset with Latin-1 bytes in it, through the real host: the run fails at once naming file, row and offset.</summary>
[Collection("azurite")]
public class NonUtf8DropTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Shard_map_fails_the_run_at_its_first_attempt_naming_file_row_and_byte_offset()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        var data = dir.Sub("data");
        SyntheticGenerator.Generate(data, new SyntheticOptions { Interactions = 300, Items = 30, Seed = 3 });
        var csv = Path.Combine(data, "interactions.csv");
        var lines = File.ReadAllLines(csv);
        var bytes = File.ReadAllBytes(csv).Concat(Encoding.Latin1.GetBytes(lines[1].Replace(lines[1].Split(',')[4], "café") + "\n")).ToArray();
        File.WriteAllBytes(csv, bytes);
        var (_, _, runId) = await DatasetDrop.UploadAsync(ctx, data, "latin", "v1");

        using var host = LocalPipelineHost.Build(PipelineSettings.Local(azurite.Storage), trainer: null, AzuriteFixture.FastHostJson(dir));
        await host.StartAsync();
        var run = await RunWatcher.WaitAsync(ctx.Runs, runId, TimeSpan.FromMinutes(1));
        await Task.Delay(1500); // a retry, if there were one, would come after the 1 s visibility timeout
        await host.StopAsync();

        Assert.Equal(RunState.Failed, run.State);
        var failure = Assert.Single(run.Failures);
        Assert.Equal("shard-map", failure.Stage);
        Assert.Contains($"datasets/latin/v1/interactions.csv, row {lines.Length + 1}: not valid UTF-8 at byte offset {Array.IndexOf(bytes, (byte)0xE9):N0} (byte 0xE9)", failure.Message);
        var final = await ctx.Runs.RequireAsync(runId);
        Assert.Equal(final.Shards.Count, final.Stages["shard-map"].Attempts); // each map message handled once: a data error is not retried
        Assert.Empty(await PoisonRecorder.ListAsync(ctx));
        Assert.Empty(await ctx.Blobs.ListAsync(BlobLayout.Embeddings, "latin/"));
    }
}
