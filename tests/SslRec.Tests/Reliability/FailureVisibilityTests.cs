using Azure.Storage.Queues;
using SslRec.Core.Synthetic;
using SslRec.LocalHost;
using SslRec.Pipeline;
using SslRec.Pipeline.Configuration;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;
using SslRec.Tests.Cli;
using SslRec.Tests.Pipeline;

namespace SslRec.Tests.Reliability;

/// <summary>Every failure ends its run, or shows up in `sslrec status`, and messages written by hand are handled.</summary>
[Collection("azurite")]
public class FailureVisibilityTests(AzuriteFixture azurite)
{
    private static async Task<T> Within<T>(TimeSpan limit, Func<Task<T?>> poll) where T : class
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            if (await poll() is { } value) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not reached");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_poisoned_message_fails_its_run_with_the_stage_and_the_reason_and_status_shows_it()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        // A run whose map message keeps failing for a reason retrying could fix (its data blob is missing: a
        // storage error, not a data error), so the host retries it until the poison queue.
        SyntheticGenerator.Generate(dir.Sub("data"), new SyntheticOptions { Interactions = 100, Items = 20 });
        await ctx.Blobs.UploadFileAsync(BlobLayout.Datasets, "vis/v1/schema.json", Path.Combine(dir.Path, "data", "schema.json"));
        await ctx.Runs.TryCreateAsync(new RunRecord { RunId = "vis.v1", Dataset = "vis", DatasetVersion = "v1", Model = "vis", ModelVersion = "v1", State = RunState.Mapping });
        await ctx.Bus.SendAsync(QueueNames.ShardMap, new ShardMapMessage { RunId = "vis.v1", Index = 0, Blob = "vis/v1/missing.csv", Start = 0, End = -1 });

        using (var host = LocalPipelineHost.Build(PipelineSettings.Local(azurite.Storage), trainer: null, AzuriteFixture.FastHostJson(dir)))
        {
            await host.StartAsync();
            // RunWatcher returns as soon as the run is failed: `sslrec demo` does not wait for its timeout.
            var run = await RunWatcher.WaitAsync(ctx.Runs, "vis.v1", TimeSpan.FromMinutes(1));
            await host.StopAsync();
            Assert.Equal(RunState.Failed, run.State);
            var failure = Assert.Single(run.Failures, f => f.Message.StartsWith("message moved to", StringComparison.Ordinal));
            Assert.Equal("shard-map", failure.Stage);
            Assert.Contains($"moved to {QueueNames.Poison(QueueNames.ShardMap)} after 3 attempts", failure.Message);
        }

        Environment.SetEnvironmentVariable("AzureWebJobsStorage", azurite.Azurite.ConnectionString);
        try
        {
            var details = CliRunner.Run("status", "--run", "vis.v1");
            Assert.Matches(@"shard-map\s+failed", details.Out); // not "running"
            var status = CliRunner.Run("status");
            Assert.Contains("rejected messages (1", status.Out);
            Assert.Matches(@"sslrec-shard-map\s+run vis\.v1", status.Out);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AzureWebJobsStorage", null);
        }
    }

    [Fact]
    public async Task A_retrain_message_written_by_hand_as_az_sends_it_is_handled_and_a_garbage_one_is_listed_as_rejected()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        SyntheticGenerator.Generate(dir.Sub("data"), new SyntheticOptions { Interactions = 300, Items = 20, Seed = 5 });
        await DatasetDrop.UploadAsync(ctx, dir.Sub("data"), "hand", "v1");

        // `az storage message put --queue-name sslrec-retrain --content '{...}'` puts the text as it is (no base64).
        var plain = new QueueClient(azurite.Azurite.ConnectionString, QueueNames.Retrain, new QueueClientOptions(StorageSettings.EmulatorQueueVersion));
        await plain.SendMessageAsync("""{"v":1,"run":"byhand","dataset":"hand"}""");
        await plain.SendMessageAsync("retrain hand please");

        using var host = LocalPipelineHost.Build(PipelineSettings.Local(azurite.Storage), trainer: null, AzuriteFixture.FastHostJson(dir));
        await host.StartAsync();
        var retrained = await Within(TimeSpan.FromMinutes(1), () => ctx.Runs.GetAsync("hand.v1.retrain-byhand"));
        var rejected = await Within(TimeSpan.FromMinutes(1), async () => (await PoisonRecorder.ListAsync(ctx)).FirstOrDefault());
        await host.StopAsync();

        Assert.NotEqual(RunState.Failed, retrained.State);
        Assert.Equal(QueueNames.Retrain, rejected.Queue);
        Assert.Null(rejected.RunId);
        Assert.Equal("retrain hand please", rejected.Message);
        Assert.Contains("not valid JSON", rejected.Error);
    }

    [Fact]
    public async Task A_truncated_gzip_upload_fails_its_run_naming_the_file_and_nothing_is_published()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        var data = dir.Sub("data");
        SyntheticGenerator.Generate(data, new SyntheticOptions { Interactions = 3000, Items = 40, Seed = 9 });
        var csv = Path.Combine(data, "interactions.csv");
        using (var buffer = new MemoryStream())
        {
            using (var gz = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
                gz.Write(File.ReadAllBytes(csv));
            File.WriteAllBytes(csv + ".gz", buffer.ToArray()[..(int)(buffer.Length * 2 / 3)]); // an upload cut short
        }
        File.Delete(csv);
        var (_, _, runId) = await DatasetDrop.UploadAsync(ctx, data, "cut");

        using var host = LocalPipelineHost.Build(PipelineSettings.Local(azurite.Storage), trainer: null, AzuriteFixture.FastHostJson(dir));
        await host.StartAsync();
        var run = await RunWatcher.WaitAsync(ctx.Runs, runId, TimeSpan.FromMinutes(1));
        await host.StopAsync();

        Assert.Equal(RunState.Failed, run.State);
        var failure = Assert.Single(run.Failures);
        Assert.Contains("interactions.csv.gz", failure.Message);
        Assert.Contains("truncated or corrupt gzip file", failure.Message);
        Assert.Null(await ctx.Blobs.TryDownloadAsync(BlobLayout.Embeddings, BlobLayout.Latest("cut")));
    }
}
