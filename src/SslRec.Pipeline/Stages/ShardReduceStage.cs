using Microsoft.Extensions.Logging;
using SslRec.Core.Data;
using SslRec.Core.Statistics;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// Shard-reduce (fan-in, once per run): the vocabulary reduce. Reads every map shard's dictionaries and
/// counts — one shard at a time, never their rows — into the global vocabularies and the item corpus
/// (<see cref="VocabularyMerger"/>), computes the statistics training needs (item-feature mutual
/// information, head/tail slices), writes the dataset header and fans out one remap message per
/// interaction shard. Memory grows with distinct values, not with rows. One reduce at a time per run
/// (<see cref="RunLock"/>); idempotent: once the header exists it only makes sure the remap messages went out.
/// </summary>
public sealed class ShardReduceStage(PipelineContext ctx)
{
    public const string Name = "shard-reduce";

    public async Task HandleAsync(ShardReduceMessage m, CancellationToken ct = default)
    {
        var run = await ctx.Runs.RequireAsync(m.RunId, ct);
        if (run.State is RunState.Failed) return;
        await using var held = await RunLock.TryAcquireAsync(ctx.Blobs, m.RunId, Name, ct);
        if (held is null)
        {
            ctx.Logger.LogInformation("shard-reduce: run {Run} is being reduced by another message; this one is done", m.RunId);
            return;
        }
        if (!await ctx.Blobs.ExistsAsync(BlobLayout.Artifacts, BlobLayout.DatasetHeader(m.RunId), ct))
        {
            await ctx.Runs.StageStartedAsync(m.RunId, Name, ct);
            DatasetHeader header;
            try
            {
                header = await MergeAsync(run, ct);
            }
            catch (Exception e) when (StageFailures.IsDataError(e))
            {
                ctx.Logger.LogError("shard-reduce: run {Run}: {Message}", m.RunId, e.Message);
                await ctx.Runs.FailRunAsync(m.RunId, Name, e.Message, ct);
                return;
            }
            await ctx.Blobs.WriteJsonAsync(BlobLayout.Artifacts, BlobLayout.Statistics(m.RunId), Statistics(header), ct);
            await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.DatasetHeader(m.RunId), s => BinaryFormat.WriteHeader(s, header), ct);
            var r = header.Report;
            await ctx.Runs.UpdateAsync(m.RunId, run => run.Data = new DatasetSummary(r.RowsRead, r.TrainRows, r.EvalRows, header.CorpusSize, r.BadRows), ct);
            ctx.Logger.LogInformation("shard-reduce: run {Run}: {Train} train / {Eval} held-out rows, {Items} items", m.RunId, r.TrainRows, r.EvalRows, header.CorpusSize);
            header = null!;
            LargeHeap.Compact();
        }

        // The run is marked remapping before the remap messages go out, so a remap never finds its run a
        // stage behind; a redelivered reduce message (the process died in between) sends them again —
        // remaps are idempotent.
        await ctx.Runs.StageFinishedAsync(m.RunId, Name, rr => { if (rr.State is RunState.Mapping or RunState.Reducing) rr.State = RunState.Remapping; }, ct);
        run = await ctx.Runs.RequireAsync(m.RunId, ct);
        if (run.State is not RunState.Remapping) return;
        var remaining = await RemapStage.PendingShardsAsync(ctx, run, ct);
        foreach (var shard in remaining)
            await ctx.Bus.SendAsync(QueueNames.Remap, new RemapMessage { RunId = m.RunId, Index = shard.Index }, ct);
    }

    private async Task<DatasetHeader> MergeAsync(RunRecord run, CancellationToken ct)
    {
        var schema = await DatasetBlobs.LoadSchemaAsync(ctx.Blobs, run.Dataset, run.DatasetVersion, ct);
        var merger = new VocabularyMerger(schema, ctx.Options.MaxBadRows);
        // the plan lists the catalog first; one shard's dictionaries in memory at a time, parsed as they download
        foreach (var task in run.Shards.OrderBy(s => !s.Catalog).ThenBy(s => s.Index))
        {
            var shard = await ctx.Blobs.TryReadAsync(BlobLayout.Artifacts, BlobLayout.ShardVocabulary(run.RunId, task.Index), s => BinaryFormat.ReadShardVocabulary(s, schema), ct)
                        ?? throw new InvalidOperationException($"shard {task.Index} of run {run.RunId} is missing; the reduce will be retried");
            if (shard.Kind == ShardKind.Catalog) merger.AddCatalog(shard);
            else merger.AddInteractions(shard);
        }
        var header = merger.Finish();
        if (header.Report.TrainRows == 0)
            throw new InvalidDataException($"no training rows: {header.Report.RowsRead} rows read, {header.Report.EvalRows} held out");
        return header;
    }

    private static object Statistics(DatasetHeader data)
    {
        var mi = MutualInformation.Compute(data.Items, data.ItemTrainCounts);
        var slices = new FrequencySlices(data.ItemTrainCounts);
        var names = data.Schema.Item.Select(f => f.Name).ToArray();
        return new
        {
            item_features = names,
            mutual_information_nats = names.Select((_, i) => names.Select((_, j) => Math.Round(mi[i, j], 6)).ToArray()).ToArray(),
            head_threshold = slices.Threshold,
            head_items = slices.HeadItems,
            tail_items = slices.TailItems,
            tail_definition = slices.Definition,
            vocabulary_sizes = data.Schema.All.Select((f, i) => new { feature = f.Name, size = data.Vocabularies[i].Size }).ToArray(),
            report = data.Report,
        };
    }
}
