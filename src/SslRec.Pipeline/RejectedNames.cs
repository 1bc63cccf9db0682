using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline;

/// <summary>
/// A dataset or version name that breaks <see cref="DatasetNames"/>' rule and arrived where the CLI cannot
/// guard it (a blob upload's _READY event, the unclaimed-drop scan, a hand-written retrain message) is
/// never processed and never silently skipped: it is recorded once, as a <see cref="PoisonRecord"/>
/// under artifacts/poison/{queue}/, so `sslrec status` lists it with the rejected messages. The record is
/// keyed by what was refused (the _READY blob, the retrain request), so a repeated event or every scan
/// finds it and does not record it again.
/// </summary>
public static class RejectedNames
{
    public static string Blob(string queue, string subject) =>
        PoisonRecorder.Blob(queue, "name-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(subject)))[..16]);

    public static Task<bool> ExistsAsync(PipelineContext ctx, string queue, string subject, CancellationToken ct = default) =>
        ctx.Blobs.ExistsAsync(BlobLayout.Artifacts, Blob(queue, subject), ct);

    /// <summary>Records the refusal unless it is recorded already; returns whether this call recorded it.</summary>
    /// <param name="subject">what was refused, e.g. the _READY blob's name</param>
    /// <param name="message">the message or event that carried it (kept in the record)</param>
    public static async Task<bool> RecordAsync(PipelineContext ctx, string queue, string subject, string reason, string message, CancellationToken ct = default)
    {
        var record = new PoisonRecord
        {
            // One line whatever the name's length: the subject is shortened, the reason (which quotes names shortened) kept whole.
            Queue = queue, MessageId = subject, Error = $"refused name: {PoisonRecorder.Cap(subject, 120)}: {reason}", Details = reason, Message = message,
            At = DateTimeOffset.UtcNow,
        };
        var created = await ctx.Blobs.TryCreateAsync(BlobLayout.Artifacts, Blob(queue, subject), BinaryData.FromObjectAsJson(record, BlobStore.Json), ct);
        if (created) ctx.Logger.LogWarning("{Queue}: {Error}; not processed (listed by `sslrec status`)", queue, record.Error);
        return created;
    }
}
