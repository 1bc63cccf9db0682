using System.Text;
using Microsoft.Extensions.Logging;
using SslRec.Core.Data;
using SslRec.Core.Schema;
using SslRec.Core.Vocab;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// One partition of the vocabulary reduce (a shard-reduce message with a partition): reads its hash range of
/// every shard's keys and item entries — one byte range per shard and feature — and merges them
/// (<see cref="VocabularyPartitionMerger"/>: user ids, item keys, the corpus), then writes its slice (kept values
/// in id order, counts), its corpus slice (its items and their features, for the header step), its id maps (one
/// section per interaction shard, for the remaps) and last its record (sizes, rows), which marks it done. A
/// duplicate item key in the catalog fails the run. The
/// partition that finds every record written sends the plain shard-reduce message (the header step);
/// duplicates are harmless there. A message redelivered finds its record and only repeats that check; one
/// for a run that is no longer reducing (failed, or superseded by the watchdog or a later stage) does nothing,
/// and one whose run stopped reducing while it merged writes nothing.
/// </summary>
public sealed class ReducePartitionStep(PipelineContext ctx)
{
    /// <summary>
    /// runs/{run}/encoded/vocab/{k}.json: what partition k kept of each partitioned feature, how many items its
    /// corpus slice holds, the rows of those items, and the shards' rows of items outside the catalog.
    /// </summary>
    public sealed record PartitionRecord(int Partition, int Partitions, IReadOnlyList<FeatureSlice> Features,
        int Items = 0, long TrainRows = 0, long EvalRows = 0, IReadOnlyList<UnknownItems>? Unknown = null);

    public sealed record FeatureSlice(string Feature, int Kept, long OovCount, int Distinct);

    public async Task HandleAsync(string runId, int partition, CancellationToken ct)
    {
        var run = await ctx.Runs.RequireAsync(runId, ct);
        if (run.State is not (RunState.Mapping or RunState.Reducing) || run.Vocabulary is not { } plan)
        {
            ctx.Logger.LogInformation("shard-reduce: run {Run} is {State}; vocabulary partition {Partition} ignored", runId, run.State, partition);
            return;
        }
        if (partition < 0 || partition >= plan.Partitions)
            throw new InvalidMessageException($"shard-reduce: run {runId} has {plan.Partitions} vocabulary partitions, not partition {partition}");
        await using (var held = await RunLock.TryAcquireAsync(ctx.Blobs, runId, $"{ShardReduceStage.Name}-p{partition:D4}", ct))
        {
            if (held is null) return; // its holder's message finishes it (and is retried if the holder dies)
            if (!await ctx.Blobs.ExistsAsync(BlobLayout.Artifacts, BlobLayout.VocabularyPartitionDone(runId, partition), ct))
            {
                await ctx.Runs.StageStartedAsync(runId, ShardReduceStage.Name, ct);
                var schema = await DatasetBlobs.LoadSchemaAsync(ctx.Blobs, run.Dataset, run.DatasetVersion, ct);
                try
                {
                    if (!await ReduceAsync(runId, schema, plan, partition, ct)) return;
                }
                catch (Exception e) when (StageFailures.IsDataError(e))
                {
                    ctx.Logger.LogError("shard-reduce: run {Run} vocabulary partition {Partition}: {Message}", runId, partition, e.Message);
                    await ctx.Runs.FailRunAsync(runId, ShardReduceStage.Name, e.Message, ct);
                    return;
                }
                LargeHeap.Compact();
            }
        }
        if ((await PendingAsync(ctx, runId, plan.Partitions, ct)).Count > 0) return;
        run = await ctx.Runs.RequireAsync(runId, ct);
        if (run.State is RunState.Reducing)
            await ctx.Bus.SendAsync(QueueNames.ShardReduce, new ShardReduceMessage { RunId = runId }, ct);
    }

    /// <summary>Merges and writes partition k; false (nothing written) when the run stopped reducing meanwhile.</summary>
    public async Task<bool> ReduceAsync(string runId, DatasetSchema schema, VocabularyPlan plan, int partition, CancellationToken ct)
    {
        var run = await ctx.Runs.RequireAsync(runId, ct);
        var slots = VocabularyPartitioning.HashedSlots(schema);
        var keyPosition = Array.IndexOf(slots, VocabularyPartitioning.KeySlot(schema));
        var shards = InteractionShards(run);
        var catalogs = run.Shards.Where(s => s.Catalog).OrderBy(s => s.Index).ToList();
        var merger = VocabularyPartitionMerger.ForSchema(schema, shards.Count, withCatalog: catalogs.Count > 0);
        // The catalog first (its order is the corpus's), then the interaction shards in index order; the byte
        // ranges of the next ReadAheadShards shards download meanwhile. In Azure a range read costs 10–20 ms, and
        // at hundreds of shards their latencies would otherwise add up.
        var order = catalogs.Concat(shards).ToList();
        await ReadAhead.ForEachInOrderAsync(order.Count, ReadAheadShards, i => ReadRangesAsync(runId, order[i].Index, slots.Length, schema.Item.Count - 1, partition, plan.Partitions, ct), (i, read) =>
        {
            var (entries, items) = read;
            var keys = entries[keyPosition];
            if (i < catalogs.Count) merger.AddCatalog(keys, items, 0, keys.Count);
            else
            {
                var s = i - catalogs.Count;
                for (var j = 0; j < slots.Length; j++) merger.Add(s, j, entries[j], 0, entries[j].Count);
                merger.AddItems(s, keys, items, 0, keys.Count);
            }
            return Task.CompletedTask;
        });
        var result = merger.Finish();
        var side = result.Items!;
        if ((await ctx.Runs.RequireAsync(runId, ct)).State is not (RunState.Mapping or RunState.Reducing))
        {
            ctx.Logger.LogInformation("shard-reduce: run {Run} stopped reducing while partition {Partition} merged; nothing written", runId, partition);
            return false;
        }
        await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.VocabularySlice(runId, partition), s => PartitionFormat.WriteSlice(s, result.Slices), ct);
        await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.VocabularyCorpus(runId, partition), s => PartitionFormat.WriteCorpusSlice(s, side.Corpus), ct);
        await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.VocabularyMaps(runId, partition), s => PartitionFormat.WriteMaps(s, result.Maps, slots.Length), ct);
        var record = new PartitionRecord(partition, plan.Partitions, result.Slices.Select(x => new FeatureSlice(x.Feature, x.Kept, x.OovCount, x.Distinct)).ToList(),
            side.Corpus.Count, side.TrainRows, side.EvalRows, side.Unknown);
        await ctx.Blobs.WriteJsonAsync(BlobLayout.Artifacts, BlobLayout.VocabularyPartitionDone(runId, partition), record, ct);
        ctx.Logger.LogInformation("shard-reduce: run {Run} vocabulary partition {Partition} of {Partitions}: {Kept} values kept of {Distinct}, {Items} items",
            runId, partition, plan.Partitions, record.Features.Sum(f => f.Kept), record.Features.Sum(f => f.Distinct), record.Items);
        return true;
    }

    /// <summary>How many shards' byte ranges a partition downloads ahead of its merge (each ≈ 1/P of a shard's keys).</summary>
    private const int ReadAheadShards = 8;

    /// <summary>
    /// Partition k's entries of one shard's hashed features (the keys file's offset table, then one byte range per
    /// feature) and of its item entries (the items file's offset table, then its range and the shard's source), read together.
    /// </summary>
    private async Task<(HashedDictionary[] Keys, ShardItemEntries Items)> ReadRangesAsync(string runId, int shardIndex, int features, int itemFeatures, int partition, int partitions, CancellationToken ct)
    {
        var keysBlob = BlobLayout.ShardKeys(runId, shardIndex);
        var itemsBlob = BlobLayout.ShardItems(runId, shardIndex);
        var keysIndex = ctx.Blobs.ReadRangeAsync(BlobLayout.Artifacts, keysBlob, 0, PartitionFormat.KeysIndexBytes(features), ct);
        var itemsIndex = ctx.Blobs.ReadRangeAsync(BlobLayout.Artifacts, itemsBlob, 0, PartitionFormat.ItemsIndexBytes, ct);
        var ranges = PartitionFormat.KeyRanges(await keysIndex, features, partition, partitions);
        var (entries, source) = PartitionFormat.ItemRanges(await itemsIndex, partition, partitions);
        var keys = Task.WhenAll(ranges.Select(r => ctx.Blobs.ReadRangeAsync(BlobLayout.Artifacts, keysBlob, r.Start, r.End, ct)));
        var items = ctx.Blobs.ReadRangeAsync(BlobLayout.Artifacts, itemsBlob, entries.Start, entries.End, ct);
        var sourceText = Encoding.UTF8.GetString(await ctx.Blobs.ReadRangeAsync(BlobLayout.Artifacts, itemsBlob, source.Start, source.End, ct));
        return ((await keys).Select(b => PartitionFormat.ParseEntries(b)).ToArray(), PartitionFormat.ParseItemEntries(await items, sourceText, itemFeatures));
    }

    /// <summary>The interaction shards in index order: a shard's position here is its section in the id maps.</summary>
    public static List<ShardTask> InteractionShards(RunRecord run) => run.Shards.Where(s => !s.Catalog).OrderBy(s => s.Index).ToList();

    /// <summary>The partitions without a record yet.</summary>
    public static async Task<List<int>> PendingAsync(PipelineContext ctx, string runId, int partitions, CancellationToken ct)
    {
        var done = (await ctx.Blobs.ListAsync(BlobLayout.Artifacts, BlobLayout.VocabularyPrefix(runId), ct)).Select(b => b.Name).ToHashSet(StringComparer.Ordinal);
        return Enumerable.Range(0, partitions).Where(k => !done.Contains(BlobLayout.VocabularyPartitionDone(runId, k))).ToList();
    }
}
