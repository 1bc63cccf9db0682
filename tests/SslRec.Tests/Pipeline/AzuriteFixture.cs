using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Settings;
using SslRec.Core.Synthetic;
using Azure.Storage.Blobs.Models;
using SslRec.LocalHost;
using SslRec.Pipeline;
using SslRec.Pipeline.Storage;

namespace SslRec.Tests.Pipeline;

/// <summary>A real Azurite on 127.0.0.1 (random ports, in-memory), started once for the "azurite" collection.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public AzuriteProcess Azurite { get; private set; } = null!;

    public StorageSettings Storage => new() { ConnectionString = Azurite.ConnectionString };

    public async Task InitializeAsync() => Azurite = await AzuriteProcess.StartAsync();

    public Task DisposeAsync()
    {
        Azurite?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A context on empty queues and containers (tests in the collection run one after another).</summary>
    public async Task<PipelineContext> FreshContextAsync(PipelineOptions? options = null)
    {
        var ctx = PipelineContext.Create(Storage, options: options);
        await ctx.EnsureInfrastructureAsync();
        foreach (var q in QueueNames.All)
        {
            await ctx.Bus.Queue(q).ClearMessagesAsync();
            await ctx.Bus.Queue(QueueNames.Poison(q)).ClearMessagesAsync();
        }
        foreach (var c in BlobLayout.Containers)
            await foreach (var b in ctx.Blobs.Container(c).GetBlobsAsync(BlobTraits.None, BlobStates.None, null, default))
                await ctx.Blobs.Container(c).DeleteBlobIfExistsAsync(b.Name, DeleteSnapshotsOption.IncludeSnapshots);
        return ctx;
    }

    /// <summary>
    /// Drops a generated dataset and runs a host without trainer until the run waits for training (map and
    /// reduce done): the starting point of the tests of the train worker.
    /// </summary>
    public async Task<string> DropUntilTrainingAsync(PipelineContext ctx, TempDirectory dir, string dataset, SyntheticOptions data, PipelineOptions? options = null)
    {
        SyntheticGenerator.Generate(dir.Sub("data"), data);
        var (_, _, runId) = await DatasetDrop.UploadAsync(ctx, dir.Sub("data"), dataset);
        using var host = LocalPipelineHost.Build(PipelineSettings.Local(Storage, options), trainer: null, FastHostJson(dir));
        await host.StartAsync();
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while ((await ctx.Runs.GetAsync(runId))?.State != RunState.Training && DateTime.UtcNow < deadline) await Task.Delay(200);
        await host.StopAsync();
        Assert.Equal(RunState.Training, (await ctx.Runs.RequireAsync(runId)).State);
        return runId;
    }

    /// <summary>A host.json like the root one, with fast polling and 3 attempts before poison.</summary>
    public static string FastHostJson(TempDirectory dir) => dir.File("host.json", """
        { "version": "2.0",
          "extensions": { "queues": { "batchSize": 4, "newBatchThreshold": 2, "visibilityTimeout": "00:00:01",
                                      "maxPollingInterval": "00:00:00.200", "maxDequeueCount": 3,
                                      "messageEncoding": "none" } } }
        """);
}

[CollectionDefinition("azurite")]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>;
