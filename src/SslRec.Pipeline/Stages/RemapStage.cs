using Microsoft.Extensions.Logging;
using SslRec.Core.Data;
using SslRec.Core.Schema;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// Remap (fan-out, one message per interaction shard): rewrites one map shard's rows into global ids with
/// the dataset header (<see cref="ShardRemapper"/>) and writes them as one training and one held-out part
/// (runs/{run}/encoded/train|eval/{index}.bin), then a small record of their row counts
/// (encoded/parts/{index}.json) that marks the shard done. Completion is counted from those records, so
/// duplicates and any order are fine; the task that finds every shard done enqueues training. A message
/// for a run that failed, or that is no longer remapping, does nothing. Memory: the header and one shard.
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
        var (schema, remapper) = await HeaderCache.GetAsync(ctx.Blobs, run.RunId, ct);
        var vocabulary = await RequireAsync(BlobLayout.ShardVocabulary(run.RunId, index), s => BinaryFormat.ReadShardVocabulary(s, schema), ct);
        var rows = await RequireAsync(BlobLayout.ShardRows(run.RunId, index), s => BinaryFormat.ReadShardRows(s, schema), ct);
        var (train, eval) = remapper.Remap(vocabulary, rows);
        await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.TrainPart(run.RunId, index), s => BinaryFormat.WriteExamples(s, train), ct);
        await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.EvalPart(run.RunId, index), s => BinaryFormat.WriteExamples(s, eval), ct);
        var counts = new PartCounts(index, train.Count, eval.Count);
        await ctx.Blobs.WriteJsonAsync(BlobLayout.Artifacts, BlobLayout.Part(run.RunId, index), counts, ct);
        return counts;
    }

    private async Task<T> RequireAsync<T>(string blob, Func<Stream, T> parse, CancellationToken ct) where T : class =>
        await ctx.Blobs.TryReadAsync(BlobLayout.Artifacts, blob, parse, ct)
        ?? throw new InvalidDataException($"{BlobLayout.Artifacts}/{blob} is missing");

    /// <summary>
    /// The header of the run last remapped in this process: an instance handling several remap messages of
    /// a run (they arrive together) downloads it and builds its corpus index once.
    /// </summary>
    private static class HeaderCache
    {
        private static readonly SemaphoreSlim Gate = new(1, 1);
        private static (string RunId, DatasetSchema Schema, ShardRemapper Remapper)? _last;

        public static async Task<(DatasetSchema, ShardRemapper)> GetAsync(BlobStore blobs, string runId, CancellationToken ct)
        {
            await Gate.WaitAsync(ct);
            try
            {
                if (_last is { } last && last.RunId == runId) return (last.Schema, last.Remapper);
                _last = null; // let the previous run's header go before the next one is read
                var header = await blobs.TryReadAsync(BlobLayout.Artifacts, BlobLayout.DatasetHeader(runId), BinaryFormat.ReadHeader, ct)
                             ?? throw new InvalidDataException($"{BlobLayout.Artifacts}/{BlobLayout.DatasetHeader(runId)} is missing");
                _last = (runId, header.Schema, new ShardRemapper(header));
                return (header.Schema, _last.Value.Remapper);
            }
            finally
            {
                Gate.Release();
            }
        }
    }
}
