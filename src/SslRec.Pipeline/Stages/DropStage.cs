using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SslRec.Core.Input;
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
/// nothing), plans the map fan-out (one task per file, per byte range of a large text file or run of a Parquet file's
/// row groups: <see cref="InputFile.Plan"/>, as a local `sslrec train` plans) and
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
            await ctx.Bus.SendAsync(QueueNames.ShardMap, ShardMapMessage.For(runId, task), ct);
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

        // the data files directly in the version's folder, by the same rules as a local dataset folder
        var lengths = blobs.Where(b => b.Name.LastIndexOf('/') == prefix.Length - 1)
            .ToDictionary(b => b.Name, b => b.Properties.ContentLength ?? 0, StringComparer.Ordinal);
        var (interactions, catalog) = DataFiles.Classify(lengths.Keys, $"{BlobLayout.Datasets}/{prefix}");

        var plan = new List<ShardTask>();
        foreach (var name in catalog is null ? interactions : interactions.Prepend(catalog))
        {
            var file = new InputFile(new BlobDataSource(ctx.Blobs.Blob(BlobLayout.Datasets, name), lengths[name], ct));
            foreach (var range in file.Plan(ctx.Options.ShardTargetBytes))
                plan.Add(new ShardTask(plan.Count, name, name == catalog, range.Start, range.End, file.Format.Unit));
        }
        return plan;
    }

    private async Task FailAsync(string runId, string message, CancellationToken ct)
    {
        ctx.Logger.LogError("drop: run {Run} failed: {Message}", runId, message);
        await ctx.Runs.FailRunAsync(runId, Name, message, ct);
    }
}
