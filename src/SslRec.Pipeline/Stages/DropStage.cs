using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SslRec.Core.Options;
using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// Drop: a dataset version is complete when its _READY marker exists. Its BlobCreated event claims a run
/// (run id = dataset@version, <see cref="DatasetNames"/>; created with a conditional write, so a repeated event finds the run and does
/// nothing), plans the map fan-out (one task per file, byte ranges for large uncompressed files) and
/// enqueues it. A _READY whose path breaks the naming rule is recorded as refused (<see cref="RejectedNames"/>)
/// and not processed. If the process dies between planning and enqueueing, the redelivered event sees the run
/// still "planned" and enqueues again (map tasks are idempotent).
/// </summary>
public sealed class DropStage(PipelineContext ctx)
{
    public const string Name = "drop";

    public async Task HandleAsync(string eventJson, CancellationToken ct = default)
    {
        var events = DropEvents.ParseReadyEvents(eventJson);
        if (events.Count == 0) ctx.Logger.LogWarning("drop: the message holds no _READY BlobCreated event under {Container}/; ignored", BlobLayout.Datasets);
        foreach (var ready in events)
        {
            if (!ready.IsValid)
            {
                // a blob upload is not checked by the CLI: a name outside the rule is recorded, never processed
                await RejectedNames.RecordAsync(ctx, QueueNames.Drop, $"{BlobLayout.Datasets}/{ready.Blob}", ready.Problem!, eventJson, ct);
                continue;
            }
            var runId = DatasetNames.RunId(ready.Dataset, ready.Version);
            if (await ctx.Runs.FindDropRunAsync(ready.Dataset, ready.Version, ct) is { } earlier && earlier.RunId != runId)
            {
                ctx.Logger.LogInformation("drop: {Dataset} version {Version} was processed as run {Run}; duplicate event ignored", ready.Dataset, ready.Version, earlier.RunId);
                continue;
            }
            await StartRunAsync(ready.Dataset, ready.Version, runId, ready.Version, overrides: null, warmStart: false, ct);
        }
    }

    public async Task<string> StartRunAsync(string dataset, string version, string runId, string modelVersion, JsonObject? overrides, bool warmStart, CancellationToken ct)
    {
        if (!await ctx.Blobs.ExistsAsync(BlobLayout.Datasets, BlobLayout.ReadyBlob(dataset, version), ct))
            throw new InvalidMessageException($"{BlobLayout.Datasets}/{BlobLayout.ReadyBlob(dataset, version)} does not exist: the upload is not complete (or was deleted)");
        var created = await ctx.Runs.TryCreateAsync(new RunRecord
        {
            RunId = runId, Dataset = dataset, DatasetVersion = version, Model = dataset, ModelVersion = modelVersion,
            State = RunState.Planned, Overrides = overrides, WarmStart = warmStart,
        }, ct);
        var run = await ctx.Runs.RequireAsync(runId, ct);
        if (!created && run.State != RunState.Planned)
        {
            ctx.Logger.LogInformation("drop: run {Run} already exists ({State}); duplicate event ignored", runId, run.State);
            return runId;
        }
        await ctx.Runs.StageStartedAsync(runId, Name, ct);

        List<ShardTask> plan;
        try
        {
            plan = await PlanAsync(dataset, version, overrides, ct);
        }
        catch (Exception e) when (e is SchemaException or InvalidDataException)
        {
            await FailAsync(runId, e.Message, ct);
            return runId;
        }
        await ctx.Runs.UpdateAsync(runId, r => r.Shards = plan, ct);
        foreach (var task in plan)
            await ctx.Bus.SendAsync(QueueNames.ShardMap, new ShardMapMessage
            {
                RunId = runId, Index = task.Index, Blob = task.Blob, Catalog = task.Catalog, Start = task.Start, End = task.End,
            }, ct);
        await ctx.Runs.StageFinishedAsync(runId, Name, r => { if (r.State == RunState.Planned) r.State = RunState.Mapping; }, ct);
        ctx.Logger.LogInformation("drop: run {Run} planned {Shards} map tasks", runId, plan.Count);
        return runId;
    }

    private async Task<List<ShardTask>> PlanAsync(string dataset, string version, JsonObject? overrides, CancellationToken ct)
    {
        var prefix = BlobLayout.DatasetPrefix(dataset, version);
        var blobs = await ctx.Blobs.ListAsync(BlobLayout.Datasets, prefix, ct);
        // Fail early on a bad schema, or one the training options cannot train (e.g. CFM with one item feature).
        var schema = await DatasetBlobs.LoadSchemaAsync(ctx.Blobs, dataset, version, ct);
        SchemaRequirements.Check(TrainingOverrides.Apply(new TrainingOptions(), overrides), schema, $"{BlobLayout.Datasets}/{prefix}{DatasetSchema.FileName}");

        var files = blobs.Where(b => b.Name.LastIndexOf('/') == prefix.Length - 1 && DataFiles.IsDataFile(b.Name))
            .OrderBy(b => b.Name, StringComparer.Ordinal).ToList();
        var catalogs = files.Where(b => DataFiles.IsCatalog(b.Name)).ToList();
        if (catalogs.Count > 1) throw new InvalidDataException($"{BlobLayout.Datasets}/{prefix}: more than one item catalog");
        if (files.Count == catalogs.Count) throw new InvalidDataException($"{BlobLayout.Datasets}/{prefix}: no interaction files (expected *.csv, *.tsv, *.jsonl, optionally .gz)");

        var plan = new List<ShardTask>();
        foreach (var f in catalogs.Concat(files.Except(catalogs)))
        {
            var length = f.Properties.ContentLength ?? 0;
            var ranges = DataFiles.IsParquet(f.Name) ? await RowGroupRangesAsync(f.Name, ct)
                : DataFiles.IsCompressed(f.Name) ? [(0L, -1L)]
                : LineRange.Plan(length, ctx.Options.ShardTargetBytes);
            foreach (var (start, end) in ranges)
                plan.Add(new ShardTask(plan.Count, f.Name, DataFiles.IsCatalog(f.Name), start, ranges.Count == 1 ? -1 : end));
        }
        return plan;
    }

    /// <summary>A Parquet file's map shards: ranges of row groups of about the shard size (only the footer is read).</summary>
    private async Task<IReadOnlyList<(long, long)>> RowGroupRangesAsync(string blob, CancellationToken ct)
    {
        await using var stream = await ctx.Blobs.Blob(BlobLayout.Datasets, blob).OpenReadAsync(position: 0, cancellationToken: ct);
        return ParquetRowReader.PlanShards(stream, $"{BlobLayout.Datasets}/{blob}", ctx.Options.ShardTargetBytes);
    }

    private async Task FailAsync(string runId, string message, CancellationToken ct)
    {
        ctx.Logger.LogError("drop: run {Run} failed: {Message}", runId, message);
        await ctx.Runs.FailRunAsync(runId, Name, message, ct);
    }
}
