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
/// once, naming the field, instead of reaching the GPU job. The run id comes from the message ("run"), or else from a hash of the
/// request, so a repeated message starts one run, not two.
/// </summary>
public sealed class RetrainStage(PipelineContext ctx, DropStage drop)
{
    public const string Name = "retrain";

    public async Task HandleAsync(RetrainMessage m, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(m.Dataset)) throw new InvalidMessageException("retrain: missing dataset");
        var ready = (await ctx.Blobs.ListAsync(BlobLayout.Datasets, m.Dataset + "/", ct))
            .Where(b => BlobLayout.TryParseReady(b.Name, out _, out _))
            .OrderBy(b => b.Properties.LastModified).ThenBy(b => b.Name, StringComparer.Ordinal).LastOrDefault()
            ?? throw new InvalidMessageException($"retrain: dataset '{m.Dataset}' has no complete version (no {BlobLayout.Datasets}/{m.Dataset}/*/{BlobLayout.ReadyMarker})");
        BlobLayout.TryParseReady(ready.Name, out var dataset, out var version);
        var suffix = string.IsNullOrEmpty(m.RunId)
            ? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(m.ToJson())))[..10]
            : m.RunId;
        var runId = $"{dataset}.{version}.retrain-{suffix}";
        try
        {
            TrainingOverrides.Apply(new TrainingOptions(), m.Overrides);
        }
        catch (ArgumentException e)
        {
            // Nothing to retry and nothing for the GPU: the run is recorded as failed, with the field named.
            await ctx.Runs.TryCreateAsync(new RunRecord
            {
                RunId = runId, Dataset = dataset, DatasetVersion = version, Model = dataset, ModelVersion = $"{version}-retrain-{suffix}",
                State = RunState.Failed, Overrides = m.Overrides, Failures = [new RunFailure(Name, e.Message, DateTimeOffset.UtcNow)],
            }, ct);
            return;
        }
        await drop.StartRunAsync(dataset, version, runId, $"{version}-retrain-{suffix}", m.Overrides, m.WarmStart, ct);
    }
}
