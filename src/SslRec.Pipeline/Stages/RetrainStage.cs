using System.Security.Cryptography;
using System.Text;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// Retrain: runs the flow again on the newest complete version of a dataset (the latest _READY), with
/// optional training overrides. The run id comes from the message ("run"), or else from a hash of the
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
        await drop.StartRunAsync(dataset, version, $"{dataset}.{version}.retrain-{suffix}", $"{version}-retrain-{suffix}", m.Overrides, m.WarmStart, ct);
    }
}
