using System.Security.Cryptography;
using System.Text;
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

    public async Task HandleAsync(RetrainMessage m, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(m.Dataset)) throw new InvalidMessageException("retrain: missing dataset");
        // a hand-written message is not checked by the CLI: a name outside the rule is recorded, never used in a blob path
        var refused = !DatasetNames.IsValid(m.Dataset) ? DatasetNames.Refusal("dataset", m.Dataset)
            : !string.IsNullOrEmpty(m.RunId) && !DatasetNames.IsValid(m.RunId) ? DatasetNames.Refusal("run suffix (\"run\")", m.RunId)
            : null;
        if (refused is not null)
        {
            var subject = $"retrain message for dataset {DatasetNames.Quote(m.Dataset)}" + (string.IsNullOrEmpty(m.RunId) ? "" : $", run {DatasetNames.Quote(m.RunId)}");
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
        var suffix = string.IsNullOrEmpty(m.RunId)
            ? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(m.ToJson())))[..10]
            : m.RunId;
        var runId = DatasetNames.RetrainRunId(dataset, version, suffix);
        var modelVersion = DatasetNames.RetrainModelVersion(version, suffix);
        try
        {
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
