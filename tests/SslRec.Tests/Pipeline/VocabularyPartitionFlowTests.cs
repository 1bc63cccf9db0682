using SslRec.Core.Data;
using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Core.Synthetic;
using SslRec.Core.Vocab;
using SslRec.Pipeline;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Stages;
using SslRec.Pipeline.Storage;

namespace SslRec.Tests.Pipeline;

/// <summary>
/// The partitioned vocabulary reduce on a real Azurite: a budget small enough for several partitions, their
/// messages redelivered and out of order, a run superseded while its partitions reduce — and the result
/// checked against the local path (<see cref="ShardMerger"/> with the same number of partitions).
/// </summary>
[Collection("azurite")]
public class VocabularyPartitionFlowTests(AzuriteFixture azurite)
{
    // 20 kB of budget: with ≈ 120 B a value, the ≈ 600 distinct users and history values need several partitions;
    // shards of 12 kB: more of them than a partition downloads ahead of its merge
    private static readonly PipelineOptions Options = new() { ShardTargetBytes = 12_000, VocabularyPartitionBytes = 20_000 };

    /// <summary>Generated data dropped, mapped and planned; the partition messages taken off the queue.</summary>
    /// <param name="edit">changes the generated files before they are dropped</param>
    private async Task<(TempDirectory Dir, PipelineContext Ctx, string RunId, ShardReduceMessage[] Partitions)> MapAndPlanAsync(int seed, int items = 40, Action<string>? edit = null)
    {
        var dir = new TempDirectory();
        SyntheticGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 3000, Users = 400, Items = items, Seed = (ulong)seed });
        edit?.Invoke(dir.Path);
        var ctx = await azurite.FreshContextAsync(Options);
        var (_, _, runId) = await DatasetDrop.UploadAsync(ctx, dir.Path, "parts");
        var drop = (await ctx.Bus.Queue(QueueNames.Drop).ReceiveMessageAsync()).Value;
        await new DropStage(ctx).HandleAsync(QueueText.Decode(drop.Body.ToString()));
        foreach (var m in (await ctx.Bus.Queue(QueueNames.ShardMap).ReceiveMessagesAsync(32)).Value)
            await new ShardMapStage(ctx).HandleAsync(JobMessage.Parse<ShardMapMessage>(m.Body.ToString()));
        var plan = (await ctx.Bus.Queue(QueueNames.ShardReduce).ReceiveMessagesAsync(32)).Value.Single();
        await new ShardReduceStage(ctx).HandleAsync(JobMessage.Parse<ShardReduceMessage>(plan.Body.ToString()));
        await ctx.Bus.Queue(QueueNames.ShardReduce).DeleteMessageAsync(plan.MessageId, plan.PopReceipt);
        var partitions = (await ctx.Bus.Queue(QueueNames.ShardReduce).ReceiveMessagesAsync(32)).Value;
        foreach (var m in partitions) await ctx.Bus.Queue(QueueNames.ShardReduce).DeleteMessageAsync(m.MessageId, m.PopReceipt);
        return (dir, ctx, runId, partitions.Select(m => JobMessage.Parse<ShardReduceMessage>(m.Body.ToString())).ToArray());
    }

    [Fact]
    public async Task Partitions_redelivered_out_of_order_reduce_once_and_match_the_local_path()
    {
        var (dir, ctx, runId, partitions) = await MapAndPlanAsync(3);
        using var _ = dir;

        var run = await ctx.Runs.RequireAsync(runId);
        var p = run.Vocabulary!.Partitions;
        Assert.True(p >= 3, $"{p} partitions for ≈{run.Vocabulary.EstimatedDistinct} values");
        Assert.Equal(Enumerable.Range(0, p), partitions.Select(m => m.Partition!.Value).Order());
        Assert.Equal(RunState.Reducing, run.State);
        Assert.False(await ctx.Blobs.ExistsAsync(BlobLayout.Artifacts, BlobLayout.DatasetHeader(runId)));
        Assert.True(run.Shards.Count(x => !x.Catalog) > 8, $"{run.Shards.Count} shards");

        // every partition twice, the last first, two at a time: each is merged once, and the last one done asks for the header
        var deliveries = partitions.Concat(partitions).Reverse().ToArray();
        for (var i = 0; i < deliveries.Length; i += 2)
            await Task.WhenAll(deliveries.Skip(i).Take(2).Select(m => new ShardReduceStage(ctx).HandleAsync(m)));
        var headerAsks = (await ctx.Bus.Queue(QueueNames.ShardReduce).ReceiveMessagesAsync(32)).Value;
        Assert.NotEmpty(headerAsks);
        Assert.All(headerAsks, m => Assert.Null(JobMessage.Parse<ShardReduceMessage>(m.Body.ToString()).Partition));
        await Task.WhenAll(headerAsks.Select(m => new ShardReduceStage(ctx).HandleAsync(JobMessage.Parse<ShardReduceMessage>(m.Body.ToString()))));
        run = await ctx.Runs.RequireAsync(runId);
        Assert.Equal(RunState.Remapping, run.State);
        foreach (var m in (await ctx.Bus.Queue(QueueNames.Remap).ReceiveMessagesAsync(32)).Value)
            await new RemapStage(ctx).HandleAsync(JobMessage.Parse<RemapMessage>(m.Body.ToString()));
        run = await ctx.Runs.RequireAsync(runId);
        Assert.Equal(RunState.Training, run.State);

        // the local path with the same partitions: the same vocabularies (values, counts, ids) and examples
        var schema = DatasetSchema.Load(Path.Combine(dir.Path, DatasetSchema.FileName));
        var local = LocalMerge(dir.Path, schema, p);
        var header = (await ctx.Blobs.TryReadAsync(BlobLayout.Artifacts, BlobLayout.DatasetHeader(runId), BinaryFormat.ReadHeader))!;
        Assert.False(header.Vocabularies[0].HasValues); // user ids travel by size
        header = await VocabularySlices.WithValuesAsync(ctx.Blobs, runId, header, default);
        for (var f = 0; f < schema.All.Count; f++)
        {
            Assert.Equal(local.Vocabularies[f].Values, header.Vocabularies[f].Values);
            Assert.Equal(local.Vocabularies[f].Counts, header.Vocabularies[f].Counts);
            Assert.Equal(local.Vocabularies[f].OovCount, header.Vocabularies[f].OovCount);
        }
        Assert.Equal(local.Header.Partitions.Offsets, header.Partitions.Offsets);
        var parts = await RemapStage.ListPartsAsync(ctx.Blobs, run, default);
        var train = parts.Select(x => ctx.Blobs.TryReadAsync(BlobLayout.Artifacts, BlobLayout.TrainPart(runId, x.Index), s => BinaryFormat.ReadExamples(s, schema)).Result!).ToList();
        var remote = EncodedExamples.Concat(schema.Query, train);
        var expected = local.Train.Materialize();
        Assert.Equal(expected.ItemIndex, remote.ItemIndex);
        for (var f = 0; f < schema.Query.Count; f++)
        {
            Assert.Equal(expected.Queries.Columns[f].Ids, remote.Queries.Columns[f].Ids);
            Assert.Equal(expected.Queries.Columns[f].Values, remote.Queries.Columns[f].Values);
        }
    }

    [Fact]
    public async Task A_run_superseded_while_its_partitions_reduce_writes_and_asks_for_nothing()
    {
        var (dir, ctx, runId, partitions) = await MapAndPlanAsync(4);
        using var _ = dir;
        await new ShardReduceStage(ctx).HandleAsync(partitions[0]);
        Assert.True(await ctx.Blobs.ExistsAsync(BlobLayout.Artifacts, BlobLayout.VocabularyPartitionDone(runId, partitions[0].Partition!.Value)));

        await ctx.Runs.FailRunAsync(runId, ShardReduceStage.Name, "superseded by the test");
        foreach (var m in partitions.Skip(1)) await new ShardReduceStage(ctx).HandleAsync(m);
        await new ShardReduceStage(ctx).HandleAsync(new ShardReduceMessage { RunId = runId });

        foreach (var m in partitions.Skip(1))
        {
            Assert.False(await ctx.Blobs.ExistsAsync(BlobLayout.Artifacts, BlobLayout.VocabularySlice(runId, m.Partition!.Value)));
            Assert.False(await ctx.Blobs.ExistsAsync(BlobLayout.Artifacts, BlobLayout.VocabularyPartitionDone(runId, m.Partition!.Value)));
        }
        Assert.False(await ctx.Blobs.ExistsAsync(BlobLayout.Artifacts, BlobLayout.DatasetHeader(runId)));
        Assert.Empty((await ctx.Bus.Queue(QueueNames.ShardReduce).ReceiveMessagesAsync(32)).Value);
        Assert.Empty((await ctx.Bus.Queue(QueueNames.Remap).ReceiveMessagesAsync(32)).Value);
        Assert.Equal(RunState.Failed, (await ctx.Runs.RequireAsync(runId)).State);
    }

    [Fact]
    public async Task An_item_key_in_two_shards_of_the_catalog_fails_the_run_in_the_partition_that_holds_it()
    {
        // a catalog of ≈ 30 kB: three shards of 12 kB; its first item repeated on its last line
        string? repeated = null;
        var (dir, ctx, runId, partitions) = await MapAndPlanAsync(6, items: 600, edit: path =>
        {
            var catalog = Path.Combine(path, "items.csv");
            var lines = File.ReadAllLines(catalog);
            repeated = lines[1].Split(',')[0];
            File.AppendAllLines(catalog, [lines[1]]);
        });
        using var _ = dir;
        var run = await ctx.Runs.RequireAsync(runId);
        Assert.True(run.Shards.Count(x => x.Catalog) > 1, $"{run.Shards.Count(x => x.Catalog)} catalog shards");

        foreach (var m in partitions) await new ShardReduceStage(ctx).HandleAsync(m);
        run = await ctx.Runs.RequireAsync(runId);
        Assert.Equal(RunState.Failed, run.State);
        var failure = Assert.Single(run.Failures);
        Assert.Equal(ShardReduceStage.Name, failure.Stage);
        Assert.Contains($"duplicate item key '{repeated}' (also in an earlier part of the catalog)", failure.Message);
        Assert.Contains("items.csv", failure.Message);
        Assert.False(await ctx.Blobs.ExistsAsync(BlobLayout.Artifacts, BlobLayout.DatasetHeader(runId)));
        Assert.Empty((await ctx.Bus.Queue(QueueNames.Remap).ReceiveMessagesAsync(32)).Value);
    }

    [Fact]
    public async Task A_partition_the_plan_does_not_have_is_refused()
    {
        var (dir, ctx, runId, partitions) = await MapAndPlanAsync(5);
        using var _ = dir;
        await Assert.ThrowsAsync<InvalidMessageException>(() => new ShardReduceStage(ctx).HandleAsync(new ShardReduceMessage { RunId = runId, Partition = partitions.Length }));
    }

    /// <summary>The local path over the same files and shard size, with P partitions.</summary>
    private static EncodedDataset LocalMerge(string data, DatasetSchema schema, int partitions)
    {
        var (files, catalog) = DataFiles.Discover(data);
        var options = new DatasetReadOptions { ShardTargetBytes = Options.ShardTargetBytes };
        var catalogShards = catalog is null ? [] : new List<PartialShard> { ShardEncoder.Encode(SslRec.Core.Input.InputFile.Local(catalog), SslRec.Core.Input.InputRange.Whole, catalog: true, schema, withCatalog: true, options) };
        var shards = DatasetEncoder.EncodeInteractions(schema, files, catalog is not null, options);
        return ShardMerger.Merge(schema, shards, catalogShards, partitions: partitions);
    }
}
