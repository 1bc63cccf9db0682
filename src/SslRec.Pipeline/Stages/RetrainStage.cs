using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SslRec.Core.Options;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// Retrain: runs the flow again on the newest complete version of a dataset (the latest _READY), with
/// optional training overrides, checked here (<see cref="TrainingOverrides"/>): a bad one fails the run at
/// once, naming the field, instead of reaching the GPU job. The run id is "{dataset}@{version}@retrain-{suffix}"
/// (<see cref="DatasetNames"/>), the suffix from the message ("run"), or else from a hash of the request, so a
/// repeated message starts one run, not two. A dataset name or suffix outside the naming rule is recorded as
/// refused (<see cref="RejectedNames"/>) and nothing runs.
/// </summary>
public sealed class RetrainStage(PipelineContext ctx, DropStage drop)
{
    public const string Name = "retrain";

    /// <summary>
    /// A retrain message as delivered. Overrides that are not a JSON object ("epochs=4", a list), as a message
    /// written by hand may have, fail the run like any other bad override instead of making the whole
    /// message unreadable, which would be retried to the poison queue.
    /// </summary>
    public Task HandleAsync(string text, CancellationToken ct = default)
    {
        JsonNode? root = null;
        try { root = JsonNode.Parse(text); } catch (JsonException) { }
        if (root is JsonObject o && o["overrides"] is { } overrides && overrides is not JsonObject)
        {
            var bad = overrides.ToJsonString();
            o.Remove("overrides");
            var readable = JobMessage.Parse<RetrainMessage>(o.ToJsonString());
            return HandleAsync(readable, ct, $"training overrides must be a JSON object of options and values, e.g. {{\"epochs\": 4, \"batch_size\": 512}}; got {(bad.Length > 200 ? bad[..200] + "…" : bad)}");
        }
        return HandleAsync(JobMessage.Parse<RetrainMessage>(text), ct);
    }

    public Task HandleAsync(RetrainMessage m, CancellationToken ct = default) => HandleAsync(m, ct, overridesError: null);

    private async Task HandleAsync(RetrainMessage m, CancellationToken ct, string? overridesError)
    {
        if (string.IsNullOrWhiteSpace(m.Dataset)) throw new InvalidMessageException("retrain: missing dataset");
        // a hand-written message is not checked by the CLI: a name outside the rule is recorded, never used in a blob path
        var refused = !DatasetNames.IsValid(m.Dataset) ? DatasetNames.Refusal("dataset", m.Dataset)
            : !string.IsNullOrEmpty(m.RunSuffix) && !DatasetNames.IsValid(m.RunSuffix) ? DatasetNames.Refusal("run suffix (\"run\")", m.RunSuffix)
            : null;
        if (refused is not null)
        {
            var subject = $"retrain message for dataset {DatasetNames.Quote(m.Dataset)}" + (string.IsNullOrEmpty(m.RunSuffix) ? "" : $", run {DatasetNames.Quote(m.RunSuffix)}");
            await RejectedNames.RecordAsync(ctx, QueueNames.Retrain, subject, refused, m.ToJson(), ct);
            return;
        }
        var newest = (await ctx.Blobs.ListAsync(BlobLayout.Datasets, m.Dataset + "/", ct))
            .Select(b => (Blob: b, Marker: BlobLayout.ParseReady(b.Name)))
            .Where(x => x.Marker is { IsValid: true })
            .OrderBy(x => x.Blob.Properties.LastModified).ThenBy(x => x.Blob.Name, StringComparer.Ordinal).LastOrDefault();
        if (newest.Marker is null)
            throw new InvalidMessageException($"retrain: dataset '{m.Dataset}' has no complete version (no {BlobLayout.Datasets}/{m.Dataset}/*/{BlobLayout.ReadyMarker})");
        var (dataset, version) = (newest.Marker.Dataset, newest.Marker.Version);
        var suffix = string.IsNullOrEmpty(m.RunSuffix)
            ? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(m.ToJson())))[..10]
            : m.RunSuffix;
        var runId = DatasetNames.RetrainRunId(dataset, version, suffix);
        var modelVersion = DatasetNames.RetrainModelVersion(version, suffix);
        try
        {
            if (overridesError is not null) throw new ArgumentException(overridesError);
            TrainingOverrides.Apply(new TrainingOptions(), m.Overrides);
        }
        catch (ArgumentException e)
        {
            // Nothing to retry and nothing for the GPU: the run is recorded as failed, with the field named.
            await ctx.Runs.TryCreateAsync(new RunRecord
            {
                RunId = runId, Dataset = dataset, DatasetVersion = version, Model = dataset, ModelVersion = modelVersion,
                State = RunState.Failed, Overrides = m.Overrides, Failures = [new RunFailure(Name, e.Message, DateTimeOffset.UtcNow)],
            }, ct);
            return;
        }
        await drop.StartRunAsync(dataset, version, runId, modelVersion, m.Overrides, m.WarmStart, ct);
    }
}
