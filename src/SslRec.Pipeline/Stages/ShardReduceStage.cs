using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SslRec.Core.Data;
using SslRec.Core.Schema;
using SslRec.Core.Statistics;
using SslRec.Core.Vocab;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// Shard-reduce (fan-in): the vocabulary reduce, in three steps on one queue.
/// <list type="number">
/// <item><b>Plan</b> (the message the map's fan-in sends): reads the map shards' distinct-count sketches of the
/// hashed features (user ids, item keys and the features sharing their tables) and picks the number of
/// partitions P so that one partition's values fit <see cref="PipelineOptions.VocabularyPartitionBytes"/>;
/// records it in the run (<see cref="RunRecord.Vocabulary"/>) and sends one message per partition — with
/// P = 1 it reduces the single partition itself.</item>
/// <item><b>Partitions</b> (<see cref="ReducePartitionStep"/>): each merges one hash range of every shard's
/// keys; the last to finish sends this stage's plain message again.</item>
/// <item><b>Header</b> (that message, every partition done): merges what is left of each shard — row totals,
/// bad rows, query features tied to non-key item features — (<see cref="VocabularyMerger"/>), writing each
/// interaction shard's item maps as it goes, takes the partitioned features' sizes and the rows of known and
/// unknown items from the partitions' records, builds the item features' vocabularies from the partitions'
/// dictionaries and the corpus from their slices, computes the statistics training needs (item-feature mutual
/// information, head/tail slices), writes the remap tables and the dataset header and fans out one remap
/// message per interaction shard.</item>
/// </list>
/// Memory: one partition's values and items, or (header step) the assembled corpus — never every user's or item key's dictionary. One plan/header step at a time per
/// run (<see cref="RunLock"/>); idempotent: once the header exists it only makes sure the remap messages went out.
/// </summary>
public sealed class ShardReduceStage(PipelineContext ctx)
{
    public const string Name = "shard-reduce";

    public async Task HandleAsync(ShardReduceMessage m, CancellationToken ct = default)
    {
        if (m.Partition is { } partition)
        {
            await new ReducePartitionStep(ctx).HandleAsync(m.RunId, partition, ct);
            return;
        }
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
            if (run.State is not (RunState.Mapping or RunState.Reducing))
            {
                ctx.Logger.LogInformation("shard-reduce: run {Run} is {State}; nothing to reduce", m.RunId, run.State);
                return;
            }
            await ctx.Runs.StageStartedAsync(m.RunId, Name, ct);
            DatasetHeader header;
            try
            {
                var schema = await DatasetBlobs.LoadSchemaAsync(ctx.Blobs, run.Dataset, run.DatasetVersion, ct);
                var plan = run.Vocabulary ?? await PlanAsync(run, schema, ct);
                var pending = await ReducePartitionStep.PendingAsync(ctx, m.RunId, plan.Partitions, ct);
                if (pending.Count > 0 && plan.Partitions > 1)
                {
                    // a redelivered plan message sends the pending partitions again: they are idempotent
                    foreach (var k in pending)
                        await ctx.Bus.SendAsync(QueueNames.ShardReduce, new ShardReduceMessage { RunId = m.RunId, Partition = k }, ct);
                    ctx.Logger.LogInformation("shard-reduce: run {Run}: {Pending} of {Partitions} vocabulary partitions sent", m.RunId, pending.Count, plan.Partitions);
                    return;
                }
                // one partition: reduced here, by the same code a partition message runs
                if (pending.Count > 0 && !await new ReducePartitionStep(ctx).ReduceAsync(run.RunId, schema, plan, 0, ct)) return;
                header = await MergeAsync(run, schema, plan, ct);
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

    /// <summary>Chooses P from the shards' sketches and records it; a plan recorded first (a concurrent or earlier message) wins.</summary>
    private async Task<VocabularyPlan> PlanAsync(RunRecord run, DatasetSchema schema, CancellationToken ct)
    {
        var partitioned = VocabularyPartitioning.PartitionedFeatures(schema);
        var sketches = new List<Core.Vocab.HyperLogLog[]>();
        foreach (var shard in run.Shards.Where(s => !s.Catalog))
            sketches.Add(await ctx.Blobs.TryReadAsync(BlobLayout.Artifacts, BlobLayout.ShardSketch(run.RunId, shard.Index), PartitionFormat.ReadSketches, ct)
                         ?? throw new InvalidOperationException($"shard {shard.Index} of run {run.RunId} has no sketch; the reduce will be retried"));
        var distinct = ShardKeys.EstimateDistinct(sketches);
        var budget = ctx.Options.VocabularyPartitionBytes;
        var plan = new VocabularyPlan(VocabularyPartitioning.Plan(distinct, budget), partitioned.Select(f => schema.All[f].Name).ToList(), (long)Math.Round(distinct), budget);
        var recorded = await ctx.Runs.UpdateAsync(run.RunId, r => r.Vocabulary ??= plan, ct);
        ctx.Logger.LogInformation("shard-reduce: run {Run}: ≈{Distinct} distinct values of {Features} → {Partitions} vocabulary partition(s)",
            run.RunId, plan.EstimatedDistinct, string.Join(", ", plan.Features), recorded.Vocabulary!.Partitions);
        return recorded.Vocabulary!;
    }

    private async Task<DatasetHeader> MergeAsync(RunRecord run, DatasetSchema schema, VocabularyPlan plan, CancellationToken ct)
    {
        var partitioned = VocabularyPartitioning.PartitionedFeatures(schema);
        var records = new List<ReducePartitionStep.PartitionRecord>();
        for (var k = 0; k < plan.Partitions; k++)
            records.Add(await ctx.Blobs.TryReadJsonAsync<ReducePartitionStep.PartitionRecord>(BlobLayout.Artifacts, BlobLayout.VocabularyPartitionDone(run.RunId, k), ct)
                        ?? throw new InvalidOperationException($"vocabulary partition {k} of run {run.RunId} is not done; the reduce will be retried"));
        if (records.Any(r => r.Features.Count != partitioned.Length))
            throw new InvalidOperationException($"run {run.RunId}: a vocabulary partition's record lists other features than {partitioned.Length}; it was written by another version");
        var layout = VocabularyPartitions.From(partitioned, records.Select(p => (IReadOnlyList<int>)p.Features.Select(f => f.Kept).ToArray()).ToArray());
        // the partitioned features travel by their sizes; their values stay in the partitions' slices
        var sized = partitioned.Select((f, j) => (f, Vocabulary.Sized(schema.All[f].Name, layout.Kept(j), schema.All[f].OovBuckets, records.Sum(p => p.Features[j].OovCount))))
            .ToDictionary(x => x.f, x => x.Item2);
        var unknown = records.SelectMany(r => r.Unknown ?? []).ToLookup(u => u.Shard);

        var catalogs = run.Shards.Where(s => s.Catalog).OrderBy(s => s.Index).ToList();
        var shards = ReducePartitionStep.InteractionShards(run);
        var merger = new VocabularyMerger(schema, ctx.Options.MaxBadRows, withCatalog: catalogs.Count > 0);
        // What is left of each shard is small (totals, bad rows, features tied to non-key item features): the catalog
        // first, then the interaction shards in index order, the next ones downloading while one merges, each
        // shard's item maps uploading while the next merges.
        var order = catalogs.Concat(shards).ToList();
        var clock = Stopwatch.StartNew();
        var upload = Task.CompletedTask;
        await ReadAhead.ForEachInOrderAsync(order.Count, ReadAheadShards, i => ReadShardAsync(run, schema, order[i], ct), async (i, shard) =>
        {
            if (i < catalogs.Count) merger.AddCatalog(shard);
            else
            {
                var maps = merger.AddInteractions(shard, unknown[i - catalogs.Count].ToList());
                await upload;
                upload = ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.ShardItemMaps(run.RunId, order[i].Index), s => PartitionFormat.WriteItemMaps(s, maps), ct);
            }
            if ((i + 1) % 100 == 0)
                ctx.Logger.LogInformation("shard-reduce: run {Run} header step: {Done} of {Shards} shards merged ({Seconds:F0} s)", run.RunId, i + 1, order.Count, clock.Elapsed.TotalSeconds);
        });
        await upload;
        var merged = clock.Elapsed.TotalSeconds;

        // the item features' vocabularies from the partitions' dictionaries, then the corpus slice by slice
        for (var k = 0; k < plan.Partitions; k++)
            merger.AddItemValues(k, await RequireAsync(BlobLayout.VocabularyCorpus(run.RunId, k), s => PartitionFormat.ReadCorpusValues(s, schema), ct));
        merger.BuildVocabularies(sized, layout);
        await ReadAhead.ForEachInOrderAsync(plan.Partitions, 1, k => Task.Run(() => RequireAsync(BlobLayout.VocabularyCorpus(run.RunId, k), s => PartitionFormat.ReadCorpusSlice(s, schema), ct), ct), (k, slice) =>
        {
            merger.AddCorpus(k, slice);
            return Task.CompletedTask;
        });
        var (header, tables) = merger.Finish(records.Sum(r => r.TrainRows), records.Sum(r => r.EvalRows));
        if (header.Report.TrainRows == 0)
            throw new InvalidDataException($"no training rows: {header.Report.RowsRead} rows read, {header.Report.EvalRows} held out");
        // before the header, whose existence marks the reduce done
        await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.RemapTables(run.RunId), s => PartitionFormat.WriteRemapTables(s, tables), ct);
        ctx.Logger.LogInformation("shard-reduce: run {Run} header step: {Shards} shards merged in {Merged:F1} s, vocabularies and corpus ({Items} items from {Partitions} slices) built in {Built:F1} s",
            run.RunId, order.Count, merged, header.CorpusSize, plan.Partitions, clock.Elapsed.TotalSeconds - merged);
        return header;
    }

    /// <summary>How many shards' remainders the header step downloads ahead of its merge (each a few kB without tied features).</summary>
    private const int ReadAheadShards = 8;

    private async Task<T> RequireAsync<T>(string blob, Func<Stream, T> parse, CancellationToken ct) where T : class =>
        await ctx.Blobs.TryReadAsync(BlobLayout.Artifacts, blob, parse, ct)
        ?? throw new InvalidOperationException($"{BlobLayout.Artifacts}/{blob} is missing; the reduce will be retried");

    /// <summary>Downloads and parses one shard's vocabulary blob on the thread pool (the header step's read-ahead).</summary>
    private Task<ShardVocabulary> ReadShardAsync(RunRecord run, DatasetSchema schema, ShardTask task, CancellationToken ct) =>
        Task.Run(() => RequireAsync(BlobLayout.ShardVocabulary(run.RunId, task.Index), s => BinaryFormat.ReadShardVocabulary(s, schema), ct), ct);

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
            vocabulary_partitions = data.Partitions.Count,
            report = data.Report,
        };
    }
}
