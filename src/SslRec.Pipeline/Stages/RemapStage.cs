using Microsoft.Extensions.Logging;
using SslRec.Core.Data;
using SslRec.Core.Vocab;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// Remap (fan-out, one message per interaction shard): rewrites one map shard's rows into global ids with
/// the maps the vocabulary reduce wrote for it (<see cref="ShardRemapper"/>) and writes them as one training and one held-out part
/// (runs/{run}/encoded/train|eval/{index}.bin), then a small record of their row counts
/// (encoded/parts/{index}.json) that marks the shard done. Completion is counted from those records, so
/// duplicates and any order are fine; the task that finds every shard done enqueues training. A message
/// for a run that failed, or that is no longer remapping, does nothing. Memory: one shard's rows and its id
/// maps (int arrays: its sections of the partitions' maps — user ids, item keys → corpus indices — and its item
/// maps from the header step) and the run's small remap tables; no vocabulary, no corpus, no value as text.
/// </summary>
public sealed class RemapStage(PipelineContext ctx)
{
    public const string Name = "remap";

    /// <summary>Row counts of one remapped shard (encoded/parts/{index}.json).</summary>
    public sealed record PartCounts(int Index, int Train, int Eval);

    public async Task HandleAsync(RemapMessage m, CancellationToken ct = default)
    {
        var run = await ctx.Runs.RequireAsync(m.RunId, ct);
        if (run.State is not RunState.Remapping)
        {
            ctx.Logger.LogInformation("remap: run {Run} is {State}, not remapping; message for shard {Index} ignored", m.RunId, run.State, m.Index);
            return;
        }
        if (run.Shards.SingleOrDefault(s => s.Index == m.Index) is not { Catalog: false })
            throw new InvalidMessageException($"remap: run {m.RunId} has no interaction shard {m.Index}");

        if (!await ctx.Blobs.ExistsAsync(BlobLayout.Artifacts, BlobLayout.Part(m.RunId, m.Index), ct))
        {
            await ctx.Runs.StageStartedAsync(m.RunId, Name, ct);
            PartCounts counts;
            try
            {
                counts = await RemapAsync(run, m.Index, ct);
            }
            catch (Exception e) when (StageFailures.IsDataError(e))
            {
                ctx.Logger.LogError("remap: run {Run} shard {Index}: {Message}", m.RunId, m.Index, e.Message);
                await ctx.Runs.FailRunAsync(m.RunId, Name, $"shard {m.Index}: {e.Message}", ct);
                return;
            }
            ctx.Logger.LogInformation("remap: run {Run} shard {Index}: {Train} train / {Eval} held-out rows", m.RunId, m.Index, counts.Train, counts.Eval);
            LargeHeap.Compact();
        }

        if ((await PendingShardsAsync(ctx, run, ct)).Count > 0) return;
        // Several tasks can see the last part written at once; one of them asks for training (a duplicate
        // training message would start a second GPU job). A crash between sending and recording sends again on redelivery.
        await using var completing = await RunLock.TryAcquireAsync(ctx.Blobs, m.RunId, Name + "-complete", ct);
        if (completing is null) return;
        run = await ctx.Runs.RequireAsync(m.RunId, ct);
        if (run.State is not RunState.Remapping) return; // training was already asked for
        await ctx.Bus.SendAsync(QueueNames.Train, new TrainMessage { RunId = m.RunId }, ct);
        await ctx.Runs.StageFinishedAsync(m.RunId, Name, r => { if (r.State is RunState.Remapping) r.State = RunState.Training; }, ct);
    }

    /// <summary>The run's interaction shards that have no part record yet.</summary>
    public static async Task<List<ShardTask>> PendingShardsAsync(PipelineContext ctx, RunRecord run, CancellationToken ct)
    {
        var done = (await ctx.Blobs.ListAsync(BlobLayout.Artifacts, BlobLayout.PartPrefix(run.RunId), ct)).Select(b => b.Name).ToHashSet(StringComparer.Ordinal);
        return run.Shards.Where(s => !s.Catalog && !done.Contains(BlobLayout.Part(run.RunId, s.Index))).ToList();
    }

    /// <summary>The row counts of every remapped part, in shard order (the trainer's listing of the example parts).</summary>
    public static async Task<IReadOnlyList<PartCounts>> ListPartsAsync(BlobStore blobs, RunRecord run, CancellationToken ct)
    {
        var shards = run.Shards.Where(s => !s.Catalog).OrderBy(s => s.Index).ToList();
        var counts = await Task.WhenAll(shards.Select(async s =>
            await blobs.TryReadJsonAsync<PartCounts>(BlobLayout.Artifacts, BlobLayout.Part(run.RunId, s.Index), ct)
            ?? throw new InvalidOperationException($"run {run.RunId}: shard {s.Index} has not been remapped")));
        return counts;
    }

    private async Task<PartCounts> RemapAsync(RunRecord run, int index, CancellationToken ct)
    {
        var tables = await ctx.RemapTables.GetAsync(ctx.Blobs, run.RunId, ct);
        var items = await RequireAsync(BlobLayout.ShardItemMaps(run.RunId, index), s => PartitionFormat.ReadItemMaps(s, tables.Schema), ct);
        var maps = await HashedMapsAsync(run, tables, index, ct);
        var rows = await RequireAsync(BlobLayout.ShardRows(run.RunId, index), s => BinaryFormat.ReadShardRows(s, tables.Schema), ct);
        var (train, eval) = new ShardRemapper(tables).Remap(rows, items, maps);
        await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.TrainPart(run.RunId, index), s => BinaryFormat.WriteExamples(s, train), ct);
        await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.EvalPart(run.RunId, index), s => BinaryFormat.WriteExamples(s, eval), ct);
        var counts = new PartCounts(index, train.Count, eval.Count);
        await ctx.Blobs.WriteJsonAsync(BlobLayout.Artifacts, BlobLayout.Part(run.RunId, index), counts, ct);
        return counts;
    }

    /// <summary>
    /// Local id → global id of each hashed feature (the item key's: → corpus index) for one shard: its section of
    /// every partition's id maps (an offset table, then one byte range per partition), never a whole vocabulary.
    /// </summary>
    private async Task<Dictionary<int, int[]>> HashedMapsAsync(RunRecord run, RemapTables tables, int index, CancellationToken ct)
    {
        var shards = ReducePartitionStep.InteractionShards(run);
        var ordinal = shards.FindIndex(s => s.Index == index);
        var features = VocabularyPartitioning.HashedSlots(tables.Schema).Length;
        // the partitions' sections are read together: their latencies (10–20 ms a read in Azure) do not add up
        var sections = await Task.WhenAll(Enumerable.Range(0, tables.Partitions.Count).Select(async k =>
        {
            var blob = BlobLayout.VocabularyMaps(run.RunId, k);
            var table = await ctx.Blobs.ReadRangeAsync(BlobLayout.Artifacts, blob, 0, PartitionFormat.MapsIndexBytes(shards.Count, features), ct);
            var (start, end) = PartitionFormat.MapRange(table, shards.Count, features, ordinal);
            return (IReadOnlyList<ShardIdMap>)PartitionFormat.ParseMaps(await ctx.Blobs.ReadRangeAsync(BlobLayout.Artifacts, blob, start, end, ct), features);
        }));
        return tables.HashedMaps(sections);
    }

    private async Task<T> RequireAsync<T>(string blob, Func<Stream, T> parse, CancellationToken ct) where T : class =>
        await ctx.Blobs.TryReadAsync(BlobLayout.Artifacts, blob, parse, ct)
        ?? throw new InvalidDataException($"{BlobLayout.Artifacts}/{blob} is missing");
}
