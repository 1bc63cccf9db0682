using Microsoft.Extensions.Logging;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline;

/// <summary>
/// Runs a stage for one queue message. When the attempt that fails is the last one the host allows
/// (dequeue count = max), the error is written next to the poison message: to
/// artifacts/poison/{queue}/{message id}.json and, when the message names a run, to the run's failures.
/// The host itself then moves the message to {queue}-poison.
/// </summary>
public static class PoisonRecorder
{
    public static string Blob(string queue, string messageId) => $"poison/{queue}/{messageId}.json";

    public static async Task RunAsync(PipelineContext ctx, string queue, string message, string messageId, long dequeueCount, int maxDequeueCount, Func<Task> run)
    {
        try
        {
            await run();
        }
        catch (Exception e) when (dequeueCount >= maxDequeueCount)
        {
            ctx.Logger.LogError(e, "{Queue}: message {Id} failed on its last attempt ({Count}); it goes to {Poison}", queue, messageId, dequeueCount, QueueNames.Poison(queue));
            await ctx.Blobs.WriteJsonAsync(BlobLayout.Artifacts, Blob(queue, messageId), new
            {
                queue, message_id = messageId, dequeue_count = dequeueCount, error = e.GetType().Name + ": " + e.Message, message,
                at = DateTimeOffset.UtcNow,
            });
            var runId = TryRunId(message);
            if (runId is not null && await ctx.Runs.GetAsync(runId) is not null)
                await ctx.Runs.FailedAsync(runId, queue, $"message moved to {QueueNames.Poison(queue)} after {dequeueCount} attempts: {e.Message}");
            throw;
        }
    }

    private static string? TryRunId(string message)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(message);
            return doc.RootElement.TryGetProperty("run", out var r) ? r.GetString() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
