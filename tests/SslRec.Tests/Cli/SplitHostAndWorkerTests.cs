using SslRec.Core.Synthetic;
using SslRec.LocalHost;
using SslRec.Pipeline;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Runs;
using SslRec.Tests.Pipeline;

namespace SslRec.Tests.Cli;

/// <summary>
/// The Azure split, locally: a host that does not train (`sslrec host --no-train`, the function app's role)
/// and `sslrec train-worker` (the GPU job's) against one Azurite started as users start it (no
/// --skipApiVersionCheck). The training message must wait for the worker — a host that listened on the
/// training queue without a trainer used to push it to the poison queue.
/// </summary>
[Collection("azurite")]
public class SplitHostAndWorkerTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_host_without_trainer_leaves_training_to_the_train_worker_and_the_run_publishes()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        Environment.SetEnvironmentVariable("AzureWebJobsStorage", azurite.Azurite.ConnectionString);
        Environment.SetEnvironmentVariable("SslRec__Pipeline__CheckpointEvery", "5");
        try
        {
            SyntheticGenerator.Generate(dir.Sub("data"), new SyntheticOptions { Interactions = 1500, Items = 50, Seed = 8 });
            var drop = CliRunner.Run("drop", dir.Sub("data"), "--dataset", "split", "--version", "v1");
            Assert.True(drop.Code == 0, drop.Err);

            using var host = LocalPipelineHost.Build(PipelineSettings.FromEnvironment(), trainer: null, AzuriteFixture.FastHostJson(dir));
            await host.StartAsync();
            try
            {
                var deadline = DateTime.UtcNow.AddMinutes(2);
                while ((await ctx.Runs.GetAsync("split@v1"))?.State != RunState.Training && DateTime.UtcNow < deadline) await Task.Delay(200);
                Assert.Equal(RunState.Training, (await ctx.Runs.RequireAsync("split@v1")).State);
                // Long enough for a listening host to have failed it 3 times (fast host.json: 200 ms polls, 1 s visibility): the message stays.
                await Task.Delay(TimeSpan.FromSeconds(5));
                // (Two concurrent reduces may each enqueue training; the train stage runs a run once either way.)
                Assert.True((await ctx.Bus.Queue(QueueNames.Train).GetPropertiesAsync()).Value.ApproximateMessagesCount >= 1);

                var worker = CliRunner.Run("train-worker", "--device", "cpu");
                Assert.True(worker.Code == 0, worker.Err);
                Assert.Contains("Completed", worker.Err);
                Assert.Equal(RunState.Published, (await RunWatcher.WaitAsync(ctx.Runs, "split@v1", TimeSpan.FromMinutes(2))).State);
            }
            finally
            {
                await host.StopAsync();
            }
            Assert.Equal(0, (await ctx.Bus.Queue(QueueNames.Poison(QueueNames.Train)).GetPropertiesAsync()).Value.ApproximateMessagesCount);
            // Each stage's work time and peak memory are on the run record (StageMeter) and in `status --run`.
            var run = await ctx.Runs.RequireAsync("split@v1");
            foreach (var stage in new[] { "drop", "shard-map", "shard-reduce", "remap", "train", "publish" })
            {
                Assert.True(run.Stages[stage].WorkSeconds > 0, $"{stage}: no work time");
                Assert.True(run.Stages[stage].PeakMemoryMiB > 10, $"{stage}: peak {run.Stages[stage].PeakMemoryMiB} MiB");
            }
            Assert.Matches(@"train\s+[\d.]+ s\s+\(1 message handled, [\d.]+ s of work, peak \d+ MiB\)", CliRunner.Run("status", "--run", "split@v1").Out);
            var status = CliRunner.Run("status");
            Assert.True(status.Code == 0, status.Err);
            Assert.Contains("split@v1", status.Out);
            Assert.Contains("Published", status.Out);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AzureWebJobsStorage", null);
            Environment.SetEnvironmentVariable("SslRec__Pipeline__CheckpointEvery", null);
        }
    }

    [Fact]
    public async Task Status_on_fresh_storage_says_there_are_no_runs()
    {
        using var fresh = await AzuriteProcess.StartAsync(); // nothing created yet: no containers, no queues
        Environment.SetEnvironmentVariable("AzureWebJobsStorage", fresh.ConnectionString);
        try
        {
            var status = CliRunner.Run("status");
            Assert.True(status.Code == 0, status.Err);
            Assert.Equal("no runs yet", status.Out.Trim());
        }
        finally
        {
            Environment.SetEnvironmentVariable("AzureWebJobsStorage", null);
        }
    }
}
