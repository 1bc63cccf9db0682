using Microsoft.Extensions.Hosting;
using SslRec.Core.Synthetic;
using SslRec.LocalHost;
using SslRec.Pipeline;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Stages;
using SslRec.Pipeline.Storage;
using SslRec.Tests.Cli;

namespace SslRec.Tests.Pipeline;

/// <summary>
/// One naming rule on every route a name enters by (the CLI, a _READY blob's event, the unclaimed-drop
/// scan, a retrain message), and run ids that cannot collide; against the real Azurite.
/// </summary>
[Collection("azurite")]
public class DatasetNameRoutesTests(AzuriteFixture azurite)
{
    private static readonly string[] RefusedPaths = ["my data/v1", new string('x', 200) + "/v1", "a%2Fb/v1", "shop/eu/v1"];

    [Fact]
    public async Task Two_datasets_whose_names_used_to_join_into_one_run_id_are_both_processed()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        SyntheticGenerator.Generate(dir.Sub("data"), new SyntheticOptions { Interactions = 400, Items = 30, Seed = 5 });
        var (_, _, first) = await DatasetDrop.UploadAsync(ctx, dir.Sub("data"), "col.a", "v1");
        var (_, _, second) = await DatasetDrop.UploadAsync(ctx, dir.Sub("data"), "col", "a.v1");
        Assert.NotEqual(first, second);

        using var host = LocalPipelineHost.Build(PipelineSettings.Local(azurite.Storage), trainer: null, AzuriteFixture.FastHostJson(dir));
        await host.StartAsync();
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while ((await ctx.Runs.ListAsync()).Count(r => r.State == RunState.Training) < 2 && DateTime.UtcNow < deadline) await Task.Delay(200);
        await host.StopAsync();

        // both reach training, each with its own dataset (before, "col"'s event found run "col.a.v1" and was ignored)
        var runs = (await ctx.Runs.ListAsync()).OrderBy(r => r.Dataset, StringComparer.Ordinal).ToList();
        Assert.Equal([("col", "a.v1", RunState.Training), ("col.a", "v1", RunState.Training)], runs.Select(r => (r.Dataset, r.DatasetVersion, r.State)));
        Assert.Equal(["col.a@v1", "col@a.v1"], runs.Select(r => r.RunId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_name_the_cli_refuses_is_refused_when_it_arrives_by_blob_upload_and_status_lists_it()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        foreach (var path in RefusedPaths)
        {
            var ready = await UploadWithoutCliAsync(ctx, dir, path);
            var drop = new DropStage(ctx);
            var json = DropEvents.BuildBlobCreated(ctx.Blobs.Blob(BlobLayout.Datasets, ready).Uri, BlobLayout.Datasets, ready, 7);
            await drop.HandleAsync(json);
            await drop.HandleAsync(json); // Event Grid delivers at least once
        }

        Assert.Empty(await ctx.Runs.ListAsync());
        Assert.Equal(0, (await ctx.Bus.Queue(QueueNames.ShardMap).GetPropertiesAsync()).Value.ApproximateMessagesCount);
        var rejected = await PoisonRecorder.ListAsync(ctx);
        Assert.Equal(RefusedPaths.Length, rejected.Count); // once each, although each event came twice
        Assert.All(rejected, r => Assert.Equal(QueueNames.Drop, r.Queue));
        Assert.Contains(rejected, r => r.Error.Contains("datasets/my data/v1/_READY: dataset 'my data': it contains a space at position 3"));
        Assert.Contains(rejected, r => r.Error.Contains("it has 200 characters"));
        Assert.Contains(rejected, r => r.Error.Contains("dataset 'a%2Fb': it contains '%'"));
        Assert.Contains(rejected, r => r.Error.Contains("datasets/shop/eu/v1/_READY: a dataset version is marked complete by datasets/{dataset}/{version}/_READY"));

        // the scan sees the same blobs: nothing to enqueue, nothing new to record
        var scan = await UnclaimedDrops.ScanAsync(ctx);
        Assert.Empty(scan.Enqueued);
        Assert.Empty(scan.Refused);

        Environment.SetEnvironmentVariable("AzureWebJobsStorage", azurite.Azurite.ConnectionString);
        try
        {
            var status = CliRunner.Run("status");
            Assert.Contains($"rejected messages ({RefusedPaths.Length}", status.Out);
            Assert.Contains("refused name: datasets/my data/v1/_READY: dataset 'my data': it contains a space", status.Out);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AzureWebJobsStorage", null);
        }
    }

    [Fact]
    public async Task The_unclaimed_drop_scan_refuses_such_names_once_and_enqueues_nothing_for_them()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        foreach (var path in RefusedPaths) await UploadWithoutCliAsync(ctx, dir, path);

        var scan = await UnclaimedDrops.ScanAsync(ctx);
        Assert.Empty(scan.Enqueued);
        Assert.Equal(RefusedPaths.Length, scan.Refused.Count);
        Assert.Contains(scan.Refused, r => r.StartsWith("datasets/my data/v1/_READY: dataset 'my data'", StringComparison.Ordinal));
        Assert.Equal(0, (await ctx.Bus.Queue(QueueNames.Drop).GetPropertiesAsync()).Value.ApproximateMessagesCount);
        Assert.Equal(RefusedPaths.Length, (await PoisonRecorder.ListAsync(ctx)).Count);

        var again = await UnclaimedDrops.ScanAsync(ctx); // every 30 s in `sslrec host`: recorded once
        Assert.Empty(again.Refused);
        Assert.Equal(RefusedPaths.Length, (await PoisonRecorder.ListAsync(ctx)).Count);
    }

    [Fact]
    public async Task A_retrain_of_a_name_outside_the_rule_is_refused_by_the_cli_and_recorded_from_a_queue_message()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        await UploadWithoutCliAsync(ctx, dir, "my data/v1");

        await new RetrainStage(ctx, new DropStage(ctx)).HandleAsync(JobMessage.Parse<RetrainMessage>("""{"v":1,"dataset":"my data"}"""));
        await new RetrainStage(ctx, new DropStage(ctx)).HandleAsync(JobMessage.Parse<RetrainMessage>("""{"v":1,"dataset":"shop","run":"../x"}"""));
        Assert.Empty(await ctx.Runs.ListAsync());
        var rejected = await PoisonRecorder.ListAsync(ctx);
        Assert.Equal(2, rejected.Count);
        Assert.All(rejected, r => Assert.Equal(QueueNames.Retrain, r.Queue));
        Assert.Contains(rejected, r => r.Error.Contains("dataset 'my data': it contains a space"));
        Assert.Contains(rejected, r => r.Error.Contains("run suffix (\"run\") '../x': it starts with '.'"));

        Environment.SetEnvironmentVariable("AzureWebJobsStorage", azurite.Azurite.ConnectionString);
        try
        {
            var cli = CliRunner.Run("retrain", "--dataset", "my data");
            Assert.Equal(2, cli.Code);
            Assert.Contains("--dataset 'my data': it contains a space at position 3", cli.Err);
            Assert.Equal(0, (await ctx.Bus.Queue(QueueNames.Retrain).GetPropertiesAsync()).Value.ApproximateMessagesCount);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AzureWebJobsStorage", null);
        }
    }

    [Fact]
    public async Task Versions_processed_under_the_old_run_ids_are_not_processed_again()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        await UploadWithoutCliAsync(ctx, dir, "shop/v1");
        await UploadWithoutCliAsync(ctx, dir, "col/a.v1");
        // records as runs before '@' wrote them: "shop.v1" is shop/v1's; "col.a.v1" is dataset col.a's, not col's
        await ctx.Runs.TryCreateAsync(new RunRecord { RunId = "shop.v1", Dataset = "shop", DatasetVersion = "v1", Model = "shop", ModelVersion = "v1", State = RunState.Published });
        await ctx.Runs.TryCreateAsync(new RunRecord { RunId = "col.a.v1", Dataset = "col.a", DatasetVersion = "v1", Model = "col.a", ModelVersion = "v1", State = RunState.Published });

        Assert.Equal(["col@a.v1"], (await UnclaimedDrops.ScanAsync(ctx)).Enqueued);
    }

    /// <summary>What an upload with the portal, azcopy or `az storage blob upload` does: files, then _READY, no name check.</summary>
    private static async Task<string> UploadWithoutCliAsync(PipelineContext ctx, TempDirectory dir, string path)
    {
        var data = dir.Sub("upload-data");
        if (!File.Exists(Path.Combine(data, "schema.json"))) SyntheticGenerator.Generate(data, new SyntheticOptions { Interactions = 300, Items = 30, Seed = 4 });
        foreach (var f in Directory.GetFiles(data))
            await ctx.Blobs.UploadFileAsync(BlobLayout.Datasets, $"{path}/{Path.GetFileName(f)}", f);
        var ready = $"{path}/{BlobLayout.ReadyMarker}";
        await ctx.Blobs.UploadAsync(BlobLayout.Datasets, ready, BinaryData.FromString("3 files"));
        return ready;
    }
}
