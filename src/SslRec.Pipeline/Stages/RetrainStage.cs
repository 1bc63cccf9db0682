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
/// once, naming the field, instead of reaching the GPU job. The run id comes from the message ("run"), or else from a hash of the
/// request, so a repeated message starts one run, not two.
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
            if (overridesError is not null) throw new ArgumentException(overridesError);
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
