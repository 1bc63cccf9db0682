using Microsoft.Extensions.Logging;
using SslRec.Core.Data;
using SslRec.Core.Schema;
using SslRec.Core.Statistics;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// Shard-reduce (fan-in): merges every partial shard into the encoded dataset (global vocabularies,
/// remapped ids), computes the statistics training needs (item-feature mutual information, head/tail
/// slices) and enqueues training. One reduce at a time per run (<see cref="RunLock"/>); idempotent: once
/// encoded/dataset.bin exists it only makes sure the training message went out.
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
        if (!await ctx.Blobs.ExistsAsync(BlobLayout.Artifacts, BlobLayout.EncodedDataset(m.RunId), ct))
        {
            await ctx.Runs.StageStartedAsync(m.RunId, Name, ct);
            EncodedDataset data;
            try
            {
                data = await MergeAsync(run, ct);
            }
            catch (Exception e) when (StageFailures.IsDataError(e))
            {
                ctx.Logger.LogError("shard-reduce: run {Run}: {Message}", m.RunId, e.Message);
                await ctx.Runs.FailRunAsync(m.RunId, Name, e.Message, ct);
                return;
            }
            await ctx.Blobs.WriteJsonAsync(BlobLayout.Artifacts, BlobLayout.Statistics(m.RunId), Statistics(data), ct);
            using (var buffer = new MemoryStream())
            {
                BinaryFormat.WriteDataset(buffer, data);
                buffer.Position = 0;
                await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.EncodedDataset(m.RunId), buffer, ct);
            }
            var r = data.Report;
            await ctx.Runs.UpdateAsync(m.RunId, run => run.Data = new DatasetSummary(r.RowsRead, r.TrainRows, r.EvalRows, data.CorpusSize, r.BadRows), ct);
            ctx.Logger.LogInformation("shard-reduce: run {Run}: {Train} train / {Eval} held-out rows, {Items} items", m.RunId, r.TrainRows, r.EvalRows, data.CorpusSize);
        }
        run = await ctx.Runs.RequireAsync(m.RunId, ct);
        if (run.State is not (RunState.Mapping or RunState.Reducing)) return; // training was already asked for
        await ctx.Bus.SendAsync(QueueNames.Train, new TrainMessage { RunId = m.RunId }, ct);
        await ctx.Runs.StageFinishedAsync(m.RunId, Name, rr => { if (rr.State is RunState.Mapping or RunState.Reducing) rr.State = RunState.Training; }, ct);
    }

    private async Task<EncodedDataset> MergeAsync(RunRecord run, CancellationToken ct)
    {
        var schema = await DatasetBlobs.LoadSchemaAsync(ctx.Blobs, run.Dataset, run.DatasetVersion, ct);
        var interactions = new List<PartialShard>();
        var catalog = new List<PartialShard>();
        foreach (var task in run.Shards.OrderBy(s => s.Index))
        {
            var bytes = await ctx.Blobs.TryDownloadAsync(BlobLayout.Artifacts, BlobLayout.Shard(run.RunId, task.Index), ct)
                        ?? throw new InvalidOperationException($"shard {task.Index} of run {run.RunId} is missing; the reduce will be retried");
            var shard = BinaryFormat.ReadShard(bytes.ToStream(), schema);
            (shard.Kind == ShardKind.Catalog ? catalog : interactions).Add(shard);
        }
        var data = ShardMerger.Merge(schema, interactions, catalog, ctx.Options.MaxBadRows);
        if (data.Train.Count == 0) throw new InvalidDataException($"no training rows: {data.Report.RowsRead} rows read, {data.Report.EvalRows} held out");
        return data;
    }

    private static object Statistics(EncodedDataset data)
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
