using System.Security.Cryptography;
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
public class PipelineFlowTests(AzuriteFixture azurite)
{
    private static readonly PipelineOptions Options = new() { ShardTargetBytes = 40_000, CheckpointEvery = 5 };

    private static TorchModelTrainer Trainer() => new(TinyData.Options with { Epochs = 2 }, "cpu");

    private static string Dataset(TempDirectory dir)
    {
        SyntheticGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 3000, Items = 100, Seed = 21 });
        return dir.Path;
    }

    private async Task<(PipelineContext Ctx, RunRecord Run, List<string> LatestViolations)> RunFlowAsync(TempDirectory dir, string dataset, Func<TempDirectory, string>? data = null)
    {
        var ctx = await azurite.FreshContextAsync(Options);
        var (_, _, runId) = await DatasetDrop.UploadAsync(ctx, (data ?? Dataset)(dir), dataset);
        using var host = LocalPipelineHost.Build(PipelineSettings.Local(azurite.Storage, Options), Trainer(), AzuriteFixture.FastHostJson(dir));
        using var stopReader = new CancellationTokenSource();
        var violations = new List<string>();
        var reader = WatchLatestAsync(ctx, dataset, violations, stopReader.Token);
        await host.StartAsync();
        var run = await RunWatcher.WaitAsync(ctx.Runs, runId, TimeSpan.FromMinutes(4));
        await host.StopAsync();
        stopReader.Cancel();
        await reader;
        return (ctx, run, violations);
    }

    /// <summary>Reads latest.json over and over; every version it names must already be complete and intact.</summary>
    private static async Task WatchLatestAsync(PipelineContext ctx, string model, List<string> violations, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var latest = await ctx.Blobs.TryReadJsonAsync<LatestPointer>(BlobLayout.Embeddings, BlobLayout.Latest(model));
            if (latest is not null)
                violations.AddRange(await VerifyVersionAsync(ctx, model, latest.Version));
            try { await Task.Delay(50, ct); } catch (OperationCanceledException) { }
        }
    }

    private static async Task<List<string>> VerifyVersionAsync(PipelineContext ctx, string model, string version)
    {
        var problems = new List<string>();
        var manifest = await ctx.Blobs.TryReadJsonAsync<Manifest>(BlobLayout.Embeddings, BlobLayout.Manifest(model, version));
        if (manifest is null) return [$"latest names {version} but it has no manifest"];
        foreach (var (file, expected) in manifest.Files)
        {
            var data = await ctx.Blobs.TryDownloadAsync(BlobLayout.Embeddings, BlobLayout.VersionPrefix(model, version) + file);
            if (data is null) problems.Add($"{file} missing");
            else if (Convert.ToHexStringLower(SHA256.HashData(data.ToArray())) != expected.Sha256) problems.Add($"{file} checksum differs");
        }
        return problems;
    }

    [Fact]
    public async Task A_dropped_dataset_flows_to_published_embeddings_with_a_valid_manifest()
    {
        using var dir = new TempDirectory();
        var (ctx, run, violations) = await RunFlowAsync(dir, "shop");

        Assert.True(run.State == RunState.Published, $"run ended {run.State}: {string.Join("; ", run.Failures.Select(f => f.Message))}");
        Assert.True(run.Shards.Count >= 3, $"expected byte-range fan-out, got {run.Shards.Count} shards");
        Assert.Contains(run.Shards, s => s.Catalog);
        Assert.All(new[] { DropStage.Name, ShardMapStage.Name, ShardReduceStage.Name, RemapStage.Name, TrainStage.Name, PublishStage.Name },
            stage => Assert.NotNull(run.Stages[stage].Seconds));
        Assert.Equal(3000, run.Data!.Rows);
        Assert.Equal(100, run.Data.Items);

        var latest = await ctx.Blobs.TryReadJsonAsync<LatestPointer>(BlobLayout.Embeddings, BlobLayout.Latest("shop"));
        Assert.Equal(run.ModelVersion, latest!.Version);
        Assert.Empty(await VerifyVersionAsync(ctx, "shop", latest.Version));
        var manifest = (await ctx.Blobs.TryReadJsonAsync<Manifest>(BlobLayout.Embeddings, BlobLayout.Manifest("shop", latest.Version)))!;
        Assert.Equal(100, manifest.Count);
        Assert.Equal(TinyData.Options.OutputDim, manifest.Dims);
        Assert.Contains("query_tower/weights.bin", manifest.Files.Keys);
        Assert.Contains("items.f32", manifest.Files.Keys);
        foreach (var png in new[] { "loss.png", "recall.png" })
        {
            var bytes = (await ctx.Blobs.TryDownloadAsync(BlobLayout.Embeddings, BlobLayout.VersionPrefix("shop", latest.Version) + png))!.ToArray();
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        }
        Assert.Equal(100 * manifest.Dims * 4, manifest.Files["items.f32"].Bytes);
        Assert.Empty(violations);

        var notes = (await ctx.Bus.Queue(QueueNames.Published).ReceiveMessagesAsync(32)).Value;
        var note = Assert.Single(notes);
        Assert.Contains("\"model\":\"shop\"", note.Body.ToString());
    }

    [Fact]
    public async Task A_parquet_dataset_flows_to_published_embeddings_with_its_row_groups_as_map_shards()
    {
        using var dir = new TempDirectory();
        var parquet = dir.Sub("parquet");
        await SslRec.Core.Converters.ParquetConverter.ConvertAsync(Dataset(dir), parquet, rowGroupRows: 250);
        var (ctx, run, violations) = await RunFlowAsync(dir, "shop-parquet", _ => parquet);

        Assert.True(run.State == RunState.Published, $"run ended {run.State}: {string.Join("; ", run.Failures.Select(f => f.Message))}");
        Assert.True(run.Shards.Count(s => !s.Catalog) >= 2, $"expected row-group fan-out, got {run.Shards.Count} shards");
        Assert.All(run.Shards.Where(s => !s.Catalog), s => Assert.True(s.End > s.Start, $"shard {s.Index}: row groups [{s.Start}, {s.End})"));
        Assert.Equal(3000, run.Data!.Rows);
        Assert.Equal(100, run.Data.Items);
        Assert.Equal(run.Data.Train, (await RemapStage.ListPartsAsync(ctx.Blobs, run, default)).Sum(p => (long)p.Train));
        Assert.Empty(violations);
    }

    [Fact]
    public async Task Duplicate_delivery_of_every_message_type_publishes_exactly_once()
    {
        using var dir = new TempDirectory();
        var (ctx, run, _) = await RunFlowAsync(dir, "dupes");
        Assert.Equal(RunState.Published, run.State);
        var manifestBefore = await ctx.Blobs.TryDownloadAsync(BlobLayout.Embeddings, BlobLayout.Manifest("dupes", run.ModelVersion));
        await ctx.Bus.Queue(QueueNames.Published).ClearMessagesAsync();

        // Deliver every kind of message again, as an at-least-once queue may.
        var ready = ctx.Blobs.Blob(BlobLayout.Datasets, BlobLayout.ReadyBlob("dupes", run.DatasetVersion));
        await ctx.Bus.SendTextAsync(QueueNames.Drop, DropEvents.BuildBlobCreated(ready.Uri, BlobLayout.Datasets, BlobLayout.ReadyBlob("dupes", run.DatasetVersion), 1));
        foreach (var s in run.Shards)
            await ctx.Bus.SendAsync(QueueNames.ShardMap, ShardMapMessage.For(run.RunId, s));
        await ctx.Bus.SendAsync(QueueNames.ShardReduce, new ShardReduceMessage { RunId = run.RunId });
        await ctx.Bus.SendAsync(QueueNames.Train, new TrainMessage { RunId = run.RunId });
        await ctx.Bus.SendAsync(QueueNames.Publish, new PublishMessage { RunId = run.RunId });
        await ctx.Bus.SendAsync(QueueNames.Publish, new PublishMessage { RunId = run.RunId });

        using (var host = LocalPipelineHost.Build(PipelineSettings.Local(azurite.Storage, Options), Trainer(), AzuriteFixture.FastHostJson(dir)))
        {
            await host.StartAsync();
            await WaitForEmptyQueuesAsync(ctx);
            await host.StopAsync();
        }

        var after = await ctx.Runs.RequireAsync(run.RunId);
        Assert.Equal(RunState.Published, after.State);
        Assert.Equal(run.Stages[TrainStage.Name].Attempts, after.Stages[TrainStage.Name].Attempts); // not trained again
        Assert.Equal(manifestBefore!.ToString(), (await ctx.Blobs.TryDownloadAsync(BlobLayout.Embeddings, BlobLayout.Manifest("dupes", run.ModelVersion)))!.ToString());
        Assert.Single(await ctx.Blobs.ListAsync(BlobLayout.Embeddings, "dupes/"), b => b.Name.EndsWith("/manifest.json"));
        Assert.Single(await ctx.Runs.ListAsync(), r => r.Dataset == "dupes");
        Assert.Empty((await ctx.Bus.Queue(QueueNames.Published).ReceiveMessagesAsync(32)).Value); // no second notification
    }

    [Fact]
    public async Task A_retrain_message_runs_the_flow_again_warm_started_and_gated_against_the_published_model()
    {
        using var dir = new TempDirectory();
        var (ctx, first, _) = await RunFlowAsync(dir, "again");
        Assert.Equal(RunState.Published, first.State);

        await ctx.Bus.SendAsync(QueueNames.Retrain, new RetrainMessage
        {
            RunSuffix = "r1", Dataset = "again", WarmStart = true, Overrides = new System.Text.Json.Nodes.JsonObject { ["alpha"] = 0.2 },
        });
        using var host = LocalPipelineHost.Build(PipelineSettings.Local(azurite.Storage, Options), Trainer(), AzuriteFixture.FastHostJson(dir));
        await host.StartAsync();
        var retrain = await RunWatcher.WaitAsync(ctx.Runs, $"again@{first.DatasetVersion}@retrain-r1", TimeSpan.FromMinutes(4));
        await host.StopAsync();

        Assert.True(retrain.WarmStart);
        Assert.Equal(0.2, retrain.Overrides!["alpha"]!.GetValue<double>());
        // Compared with the published model evaluated on this run's data, which here is its own data again: its
        // bundle laid onto the (identical) vocabularies reproduces it exactly, so the figures agree to the bit.
        Assert.Equal(first.Recall!["all"]["50"], retrain.Gate!.PublishedRecall);
        Assert.Equal(first.Recall["all"]["50"], retrain.Gate.PublishedRecallOnItsOwnData);
        Assert.Contains("on this run's hold-out", retrain.Gate.Reason);
        Assert.Contains(retrain.State, new[] { RunState.Published, RunState.Rejected });
        var latest = await ctx.Blobs.TryReadJsonAsync<LatestPointer>(BlobLayout.Embeddings, BlobLayout.Latest("again"));
        Assert.Equal(retrain.State == RunState.Published ? retrain.ModelVersion : first.ModelVersion, latest!.Version);
        // the full model stays with the run (for warm starts) and is not published
        Assert.NotEmpty(await ctx.Blobs.ListAsync(BlobLayout.Artifacts, BlobLayout.CandidatePrefix(first.RunId) + "model/"));
        Assert.Empty(await ctx.Blobs.ListAsync(BlobLayout.Embeddings, BlobLayout.VersionPrefix("again", first.ModelVersion) + "model/"));
    }

    [Fact]
    public async Task A_latest_json_naming_a_lost_manifest_does_not_block_retrains_and_the_next_publish_repairs_it()
    {
        using var dir = new TempDirectory();
        var (ctx, first, _) = await RunFlowAsync(dir, "damaged");
        var latestBefore = await ctx.Blobs.TryReadJsonAsync<LatestPointer>(BlobLayout.Embeddings, BlobLayout.Latest("damaged"));
        await ctx.Blobs.Blob(BlobLayout.Embeddings, latestBefore!.Manifest).DeleteAsync(); // damage: latest.json now names nothing

        await ctx.Bus.SendAsync(QueueNames.Retrain, new RetrainMessage { RunSuffix = "r1", Dataset = "damaged", WarmStart = true });
        using var host = LocalPipelineHost.Build(PipelineSettings.Local(azurite.Storage, Options), Trainer(), AzuriteFixture.FastHostJson(dir));
        await host.StartAsync();
        var retrain = await RunWatcher.WaitAsync(ctx.Runs, $"damaged@{first.DatasetVersion}@retrain-r1", TimeSpan.FromMinutes(4));
        await host.StopAsync();

        // trained from scratch, not compared (nothing readable is published), published: latest.json is readable again
        Assert.Equal(RunState.Published, retrain.State);
        Assert.Null(retrain.Gate!.PublishedRecall);
        var repaired = await PublishedModel.TryOpenAsync(ctx.Blobs, "damaged");
        Assert.Equal(retrain.ModelVersion, repaired!.Version);
    }

    [Fact]
    public async Task A_new_version_is_gated_against_the_published_model_measured_on_the_new_versions_data()
    {
        using var dir = new TempDirectory();
        var (ctx, first, _) = await RunFlowAsync(dir, "grows");
        Assert.Equal(RunState.Published, first.State);

        // Version 2: three times the items (a larger corpus alone lowers Recall@K) and other interactions.
        SyntheticGenerator.Generate(dir.Sub("v2"), new SyntheticOptions { Interactions = 3000, Items = 300, Seed = 22 });
        var (_, _, second) = await DatasetDrop.UploadAsync(ctx, dir.Sub("v2"), "grows", "v2");
        using var host = LocalPipelineHost.Build(PipelineSettings.Local(azurite.Storage, Options), Trainer(), AzuriteFixture.FastHostJson(dir));
        await host.StartAsync();
        var run = await RunWatcher.WaitAsync(ctx.Runs, second, TimeSpan.FromMinutes(4));
        await host.StopAsync();

        var gate = run.Gate!;
        Assert.Equal(first.Recall!["all"]["50"], gate.PublishedRecallOnItsOwnData); // recorded, not compared
        Assert.NotNull(gate.PublishedRecall);
        Assert.NotEqual(gate.PublishedRecallOnItsOwnData, gate.PublishedRecall); // another hold-out and corpus give another figure
        Assert.Equal(run.Recall!["all"]["50"], gate.CandidateRecall);
        Assert.Equal(gate.CandidateRecall >= gate.PublishedRecall - Options.GateMaxRecallDrop, gate.Passed);
        Assert.Equal(gate.Passed ? RunState.Published : RunState.Rejected, run.State);
    }

    private static async Task WaitForEmptyQueuesAsync(PipelineContext ctx)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        var quiet = 0;
        while (DateTime.UtcNow < deadline && quiet < 8)
        {
            var busy = false;
            foreach (var q in SslRec.Pipeline.Stages.StageTable.All.Select(s => s.Queue))
                if ((await ctx.Bus.Queue(q).GetPropertiesAsync()).Value.ApproximateMessagesCount > 0) busy = true;
            quiet = busy ? 0 : quiet + 1;
            await Task.Delay(250);
        }
    }
}
