using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using SslRec.Core.Synthetic;
using SslRec.LocalHost;
using SslRec.Pipeline;
using SslRec.Pipeline.Settings;
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
        // A BlobCreated event for a _READY that does not exist (deleted since): rejected, and visible.
        var ghost = ctx.Blobs.Blob(BlobLayout.Datasets, BlobLayout.ReadyBlob("ghost", "v1"));
        await ctx.Bus.SendTextAsync(QueueNames.Drop, SslRec.Pipeline.Stages.DropEvents.BuildBlobCreated(ghost.Uri, BlobLayout.Datasets, BlobLayout.ReadyBlob("ghost", "v1"), 1));

        using var host = LocalPipelineHost.Build(PipelineSettings.Local(azurite.Storage), trainer: null, AzuriteFixture.FastHostJson(dir));
        await host.StartAsync();
        var retrained = await Within(TimeSpan.FromMinutes(1), () => ctx.Runs.GetAsync("hand@v1@retrain-byhand"));
        var records = await Within(TimeSpan.FromMinutes(1), async () => await PoisonRecorder.ListAsync(ctx) is { Count: 2 } all ? all : null);
        await host.StopAsync();

        Assert.NotEqual(RunState.Failed, retrained.State);
        Assert.Contains("_READY does not exist", Assert.Single(records, r => r.Queue == QueueNames.Drop).Error);
        var rejected = Assert.Single(records, r => r.Queue == QueueNames.Retrain);
        Assert.Null(rejected.RunId);
        Assert.Equal("retrain hand please", rejected.Message);
        Assert.Contains("not valid JSON", rejected.Error);
    }

    /// <summary>Drops a dataset folder and runs a host without trainer until its run ends.</summary>
    private async Task<RunRecord> DropAndRunAsync(PipelineContext ctx, TempDirectory dir, string data, string dataset)
    {
        var (_, _, runId) = await DatasetDrop.UploadAsync(ctx, data, dataset);
        using var host = LocalPipelineHost.Build(PipelineSettings.Local(azurite.Storage), trainer: null, AzuriteFixture.FastHostJson(dir));
        await host.StartAsync();
        var run = await RunWatcher.WaitAsync(ctx.Runs, runId, TimeSpan.FromMinutes(1));
        await host.StopAsync();
        return run;
    }

    [Theory]
    [InlineData("footer")]
    [InlineData("column")]
    public async Task A_bad_parquet_upload_fails_its_run_naming_the_file_and_column_and_nothing_is_published(string defect)
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        var csv = dir.Sub("csv");
        SyntheticGenerator.Generate(csv, new SyntheticOptions { Interactions = 2000, Items = 40, Seed = 9 });
        var data = dir.Sub("data");
        await SslRec.Core.Converters.ParquetConverter.ConvertAsync(csv, data, rowGroupRows: 500);
        var file = Path.Combine(data, "interactions.parquet");
        if (defect == "footer")
        {
            var bytes = File.ReadAllBytes(file);
            File.WriteAllBytes(file, bytes[..(bytes.Length - 64)]); // an upload cut short: the footer is the end of the file
        }
        else
        {
            // a declared feature written as floating point, which is not a categorical value
            var user = new Parquet.Schema.DataField<string>("user_id");
            var score = new Parquet.Schema.DataField<double>("country");
            await using (var stream = File.Create(file))
            await using (var writer = await Parquet.ParquetWriter.CreateAsync(new Parquet.Schema.ParquetSchema(user, score), stream))
            {
                using var group = writer.CreateRowGroup();
                await group.WriteAsync(user, new[] { "u1" }, null);
                await group.WriteAsync<double>(score, new[] { 0.5 }.AsMemory(), null);
            }
        }
        var run = await DropAndRunAsync(ctx, dir, data, "pq");

        Assert.Equal(RunState.Failed, run.State);
        var failure = Assert.Single(run.Failures);
        Assert.Contains("interactions.parquet", failure.Message);
        Assert.Contains(defect == "footer" ? "not a readable Parquet file" : "field 'country': column type Double cannot be used as a feature", failure.Message);
        Assert.Null(await ctx.Blobs.TryDownloadAsync(BlobLayout.Embeddings, BlobLayout.Latest("pq")));
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
        var run = await DropAndRunAsync(ctx, dir, data, "cut");

        Assert.Equal(RunState.Failed, run.State);
        var failure = Assert.Single(run.Failures);
        Assert.Contains("interactions.csv.gz", failure.Message);
        Assert.Contains("truncated or corrupt gzip file", failure.Message);
        Assert.Null(await ctx.Blobs.TryDownloadAsync(BlobLayout.Embeddings, BlobLayout.Latest("cut")));
    }

    [Fact]
    public async Task A_corrupt_encoded_dataset_fails_the_run_at_once_instead_of_being_retried_on_the_gpu()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        var runId = await azurite.DropUntilTrainingAsync(ctx, dir, "corrupt", new SyntheticOptions { Interactions = 300, Items = 20, Seed = 6 });
        await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.DatasetHeader(runId), BinaryData.FromString("SSLRECD1 but then nothing sensible"));

        var outcome = await new TrainWorker(ctx, new SslRec.Worker.TorchModelTrainer(device: "cpu")).RunOnceAsync();
        Assert.Equal(TrainWorker.Outcome.Completed, outcome); // the message is done with: nothing to retry
        var run = await ctx.Runs.RequireAsync(runId);
        Assert.Equal(RunState.Failed, run.State);
        Assert.Contains("cannot be read", run.Failures.Last().Message);
    }

    /// <summary>Collects what the host logs, to check what a user sees for a failing message.</summary>
    private sealed class CapturedLogs : Microsoft.Extensions.Logging.ILoggerProvider
    {
        public readonly System.Collections.Concurrent.ConcurrentQueue<(string Category, Microsoft.Extensions.Logging.LogLevel Level, string Text)> Lines = new();
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string category) => new Logger(this, category);
        public void Dispose() { }

        private sealed class Logger(CapturedLogs owner, string category) : Microsoft.Extensions.Logging.ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel level) => true;
            public void Log<TState>(Microsoft.Extensions.Logging.LogLevel level, Microsoft.Extensions.Logging.EventId id, TState state, Exception? e, Func<TState, Exception?, string> format) =>
                owner.Lines.Enqueue((category, level, format(state, e) + (e is null ? "" : "\n" + e)));
        }
    }

    [Fact]
    public async Task Each_failed_attempt_is_one_warning_line_naming_stage_attempt_and_what_happens_next()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        await ctx.Bus.SendTextAsync(QueueNames.Publish, """{"v":1,"run":"nobody.v1"}""");
        var logs = new CapturedLogs();
        using var host = LocalPipelineHost.Build(PipelineSettings.Local(azurite.Storage), trainer: null, AzuriteFixture.FastHostJson(dir),
            Microsoft.Extensions.Logging.LogLevel.Information, s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs));
        await host.StartAsync();
        await Within(TimeSpan.FromMinutes(1), async () => (await PoisonRecorder.ListAsync(ctx)).FirstOrDefault());
        await host.StopAsync();

        var attempts = logs.Lines.Where(l => l.Text.StartsWith("publish: run nobody.v1, attempt", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, a.Level));
        Assert.All(attempts, a => Assert.DoesNotContain("\n", a.Text));
        Assert.Contains("attempt 1/3", attempts[0].Text);
        Assert.EndsWith("it will be retried", attempts[0].Text);
        Assert.Contains("attempt 3/3", attempts[2].Text);
        Assert.EndsWith($"moved to {QueueNames.Poison(QueueNames.Publish)}; run nobody.v1 failed", attempts[2].Text);
        // No error-level dumps of the engine's or libtorch's stack: the full error is in the poison record.
        Assert.DoesNotContain(logs.Lines, l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
        Assert.Contains("at SslRec.", (await PoisonRecorder.ListAsync(ctx)).Single().Details);
    }
}
