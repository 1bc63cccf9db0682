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
/// every interaction shard's keys — one byte range per shard and feature — and merges them
/// (<see cref="VocabularyPartitionMerger"/>), then writes its slice (kept values in id order, counts), its
/// id maps (one section per shard, for the remaps) and last its record (sizes), which marks it done. The
/// partition that finds every record written sends the plain shard-reduce message (the header step);
/// duplicates are harmless there. A message redelivered finds its record and only repeats that check; one
/// for a run that is no longer reducing (failed, or superseded by the watchdog or a later stage) does nothing,
/// and one whose run stopped reducing while it merged writes nothing.
/// </summary>
public sealed class ReducePartitionStep(PipelineContext ctx)
{
    /// <summary>runs/{run}/encoded/vocab/{k}.json: what partition k kept of each partitioned feature.</summary>
    public sealed record PartitionRecord(int Partition, int Partitions, IReadOnlyList<FeatureSlice> Features);

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
                if (!await ReduceAsync(runId, schema, plan, partition, ct)) return;
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
        var partitioned = VocabularyPartitioning.PartitionedFeatures(schema);
        var specs = partitioned.Select(f => schema.All[f]).ToArray();
        var shards = InteractionShards(run);
        var merger = new VocabularyPartitionMerger(specs, shards.Count);
        // The merge goes in shard order; the byte ranges of the next ReadAheadShards shards download meanwhile. In Azure
        // a range read costs 10–20 ms, and at hundreds of shards their latencies would otherwise add up.
        await ReadAhead.ForEachInOrderAsync(shards.Count, ReadAheadShards, s => ReadRangesAsync(runId, shards[s].Index, specs.Length, partition, plan.Partitions, ct), (s, entries) =>
        {
            for (var j = 0; j < specs.Length; j++) merger.Add(s, j, entries[j], 0, entries[j].Count);
            return Task.CompletedTask;
        });
        var result = merger.Finish();
        if ((await ctx.Runs.RequireAsync(runId, ct)).State is not (RunState.Mapping or RunState.Reducing))
        {
            ctx.Logger.LogInformation("shard-reduce: run {Run} stopped reducing while partition {Partition} merged; nothing written", runId, partition);
            return false;
        }
        await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.VocabularySlice(runId, partition), s => PartitionFormat.WriteSlice(s, result.Slices), ct);
        await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.VocabularyMaps(runId, partition), s => PartitionFormat.WriteMaps(s, result.Maps, specs.Length), ct);
        var record = new PartitionRecord(partition, plan.Partitions, result.Slices.Select(x => new FeatureSlice(x.Feature, x.Kept, x.OovCount, x.Distinct)).ToList());
        await ctx.Blobs.WriteJsonAsync(BlobLayout.Artifacts, BlobLayout.VocabularyPartitionDone(runId, partition), record, ct);
        ctx.Logger.LogInformation("shard-reduce: run {Run} vocabulary partition {Partition} of {Partitions}: {Kept} values kept of {Distinct}",
            runId, partition, plan.Partitions, record.Features.Sum(f => f.Kept), record.Features.Sum(f => f.Distinct));
        return true;
    }

    /// <summary>How many shards' byte ranges a partition downloads ahead of its merge (each ≈ 1/P of a shard's keys).</summary>
    private const int ReadAheadShards = 8;

    /// <summary>Partition k's entries of one shard's keys, one per feature: the offset table, then one byte range per feature (read together).</summary>
    private async Task<HashedDictionary[]> ReadRangesAsync(string runId, int shardIndex, int features, int partition, int partitions, CancellationToken ct)
    {
        var blob = BlobLayout.ShardKeys(runId, shardIndex);
        var ranges = PartitionFormat.KeyRanges(await ctx.Blobs.ReadRangeAsync(BlobLayout.Artifacts, blob, 0, PartitionFormat.KeysIndexBytes(features), ct), features, partition, partitions);
        var bytes = await Task.WhenAll(ranges.Select(r => ctx.Blobs.ReadRangeAsync(BlobLayout.Artifacts, blob, r.Start, r.End, ct)));
        return bytes.Select(b => PartitionFormat.ParseEntries(b)).ToArray();
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
