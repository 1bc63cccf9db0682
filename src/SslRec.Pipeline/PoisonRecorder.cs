using System.Text.Json;
using Microsoft.Extensions.Logging;
using SslRec.Core.Checkpoints;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline;

/// <summary>
/// Runs a stage for one queue message, as every host does (the Functions app, the local host, the train
/// worker): decodes the text (<see cref="QueueText"/>), and when the stage fails logs one line — stage,
/// run, attempt n/max, the error's first line, what happens next — with the full error at debug level.
/// When the failing attempt is the last the host allows (dequeue count = max), it also writes the error
/// and the message to artifacts/poison/{queue}/{message id}.json (listed by `sslrec status`) and marks the
/// message's run failed, so nothing waits for a run that can no longer finish. The host itself then moves
/// the message to {queue}-poison.
/// </summary>
public static class PoisonRecorder
{
    public const string Prefix = "poison/";

    public static string Blob(string queue, string messageId) => $"{Prefix}{queue}/{messageId}.json";

    /// <returns>false when the message was rejected at once (a message that cannot be handled on any attempt); true when handled</returns>
    public static async Task<bool> RunAsync(PipelineContext ctx, string queue, string rawMessage, string messageId, long dequeueCount, int maxDequeueCount,
        Func<string, Task> run, CancellationToken ct = default)
    {
        var message = QueueText.Decode(rawMessage);
        try
        {
            await run(message);
            return true;
        }
        catch (InvalidMessageException e)
        {
            // Unreadable, of an unknown version, naming nothing that exists: the same on every attempt, so it is
            // rejected now (recorded, its run failed, the message completed) instead of being retried to the poison queue.
            var stage = Stages.StageTable.ForQueue(queue).Name;
            var runId = TryRunId(message);
            ctx.Logger.LogWarning("{Stage}: {Run}message {Id} rejected: {Error}", stage, runId is null ? "" : $"run {runId}, ", messageId, FirstLine(e));
            await RecordAsync(ctx, queue, stage, message, messageId, dequeueCount, runId, e, ct);
            return false;
        }
        catch (Exception e) when (!IsSettled(e))
        {
            var stage = Stages.StageTable.ForQueue(queue).Name;
            var runId = TryRunId(message);
            var last = dequeueCount >= maxDequeueCount;
            var next = !last ? "it will be retried"
                : $"moved to {QueueNames.Poison(queue)}" + (runId is null ? "" : $"; run {runId} failed");
            ctx.Logger.LogWarning("{Stage}: {Run}attempt {Attempt}/{Max} of message {Id} failed: {Error}; {Next}",
                stage, runId is null ? "" : $"run {runId}, ", dequeueCount, maxDequeueCount, messageId, FirstLine(e), next);
            ctx.Logger.LogDebug(e, "{Stage}: message {Id} failed", stage, messageId);
            if (last) await RecordAsync(ctx, queue, stage, message, messageId, dequeueCount, runId, e, ct);
            throw;
        }
    }

    /// <summary>
    /// Not failures: cancellation (the host is stopping), a training that stopped at its time budget and hands
    /// over, a duplicate message that is dropped. None counts as an attempt that failed.
    /// </summary>
    public static bool IsSettled(Exception e) => e is OperationCanceledException or TrainingSuspendedException or DuplicateMessageException;

    /// <summary>
    /// A message that comes back more often than allowed without a recorded failure (its executions were
    /// killed: out of memory, the replica timeout, a lost node): recorded and its run failed, as a failed last
    /// attempt is, before the caller moves it to the poison queue.
    /// </summary>
    public static async Task RecordAbandonedAsync(PipelineContext ctx, string queue, string rawMessage, string messageId, long dequeueCount, string reason,
        CancellationToken ct = default)
    {
        if (await ctx.Blobs.ExistsAsync(BlobLayout.Artifacts, Blob(queue, messageId), ct)) return; // its last attempt failed and was recorded then
        var message = QueueText.Decode(rawMessage);
        await RecordAsync(ctx, queue, Stages.StageTable.ForQueue(queue).Name, message, messageId, dequeueCount, TryRunId(message),
            new AbandonedMessageException(reason), ct);
    }

    private sealed class AbandonedMessageException(string message) : Exception(message);

    private static async Task RecordAsync(PipelineContext ctx, string queue, string stage, string message, string messageId, long dequeueCount, string? runId, Exception e,
        CancellationToken ct)
    {
        await ctx.Blobs.WriteJsonAsync(BlobLayout.Artifacts, Blob(queue, messageId), new PoisonRecord
        {
            Queue = queue, MessageId = messageId, DequeueCount = dequeueCount, Error = $"{e.GetType().Name}: {FirstLine(e)}", Details = e.ToString(),
            Message = message, RunId = runId, At = DateTimeOffset.UtcNow,
        }, ct);
        if (runId is null || await ctx.Runs.GetAsync(runId, ct) is not { } record) return;
        var reason = e is InvalidMessageException ? $"message rejected: {FirstLine(e)}"
            : $"message moved to {QueueNames.Poison(queue)} after {dequeueCount} {(e is AbandonedMessageException ? "deliveries" : "attempts")}: {FirstLine(e)}";
        if (record.State is RunState.Published or RunState.Rejected or RunState.Failed) await ctx.Runs.FailedAsync(runId, stage, reason, ct);
        else await ctx.Runs.FailRunAsync(runId, stage, reason, ct);
    }

    /// <summary>Messages that ended in a poison queue, newest first (what `sslrec status` shows as rejected).</summary>
    public static async Task<List<PoisonRecord>> ListAsync(PipelineContext ctx, CancellationToken ct = default)
    {
        var records = new List<PoisonRecord>();
        foreach (var blob in await ctx.Blobs.ListAsync(BlobLayout.Artifacts, Prefix, ct))
            if (await ctx.Blobs.TryReadJsonAsync<PoisonRecord>(BlobLayout.Artifacts, blob.Name, ct) is { } r) records.Add(r);
        return records.OrderByDescending(r => r.At).ToList();
    }

    /// <summary>The error's first line, at most <see cref="MaxLine"/> characters: an error may quote a message of any size (60 KB seen).</summary>
    private static string FirstLine(Exception e) => Cap(e.Message.Split('\n', 2)[0].Trim());

    public const int MaxLine = 300;

    public static string Cap(string text, int max = MaxLine) => text.Length <= max ? text : $"{text[..max]}… ({text.Length - max:N0} more characters)";

    /// <summary>The run a stage message names ("run"), or null.</summary>
    public static string? TryRunId(string message)
    {
        try
        {
            using var doc = JsonDocument.Parse(message);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("run", out var r) ? r.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>artifacts/poison/{queue}/{message id}.json: a message that exhausted its attempts, and why.</summary>
public sealed class PoisonRecord
{
    public string Queue { get; set; } = "";
    public string MessageId { get; set; } = "";
    public long DequeueCount { get; set; }
    public string Error { get; set; } = "";
    public string Details { get; set; } = "";
    public string Message { get; set; } = "";
    public string? RunId { get; set; }
    public DateTimeOffset At { get; set; }
}
