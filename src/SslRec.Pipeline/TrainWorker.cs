using Azure;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using SslRec.Pipeline.Configuration;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Stages;

namespace SslRec.Pipeline;

/// <summary>
/// The trainer's side of the pipeline: `sslrec train-worker` (the GPU container job's entry point) and the
/// local host's training loop run it. Takes one message from the training queue,
/// keeps it invisible while training (renewing the visibility timeout), deletes it when the stage is done.
/// If the worker dies, the message becomes visible again and the next attempt resumes from the last blob
/// checkpoint. Outside the Functions host nobody else counts attempts, so after maxDequeueCount the worker
/// moves the message to the poison queue itself.
/// </summary>
public sealed class TrainWorker(PipelineContext ctx, IModelTrainer trainer, TimeSpan? visibility = null, int maxDequeueCount = 5)
{
    /// <summary>
    /// How long the message stays invisible without a renewal: if the worker dies, the next one takes the
    /// message about a minute later (and resumes from the last checkpoint). Renewed every third of it.
    /// </summary>
    public static readonly TimeSpan DefaultVisibility = TimeSpan.FromSeconds(60);

    private readonly TimeSpan _visibility = visibility ?? DefaultVisibility;

    public enum Outcome { NoMessage, Completed, Failed, Poisoned }

    /// <summary>
    /// The worker as `sslrec train-worker` starts it: settings from <paramref name="configuration"/> (the
    /// container's environment variables), the same reading as the Functions app's.
    /// </summary>
    public static (PipelineContext Context, TrainWorker Worker) Create(IConfiguration configuration, IModelTrainer trainer, ILogger? logger = null)
    {
        var ctx = PipelineContext.Create(PipelineSettings.From(configuration), logger);
        return (ctx, new TrainWorker(ctx, trainer));
    }

    public async Task<Outcome> RunOnceAsync(CancellationToken ct = default)
    {
        var queue = ctx.Bus.Queue(QueueNames.Train);
        QueueMessage? message = (await queue.ReceiveMessageAsync(_visibility, ct)).Value;
        if (message is null) return Outcome.NoMessage;
        var text = message.Body.ToString();
        if (message.DequeueCount > maxDequeueCount)
        {
            await ctx.Bus.SendTextAsync(QueueNames.Poison(QueueNames.Train), text, ct);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
            ctx.Logger.LogError("train-worker: message {Id} failed {Count} times; moved to {Poison}", message.MessageId, message.DequeueCount - 1, QueueNames.Poison(QueueNames.Train));
            return Outcome.Poisoned;
        }

        var popReceipt = message.PopReceipt;
        // Training stops when the message can no longer be kept invisible: otherwise it reappears, a second
        // execution trains the same run, and this one's delete fails on a stale pop receipt.
        using var work = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Exception? renewalFailure = null;
        var renewing = Task.Run(async () =>
        {
            while (!work.IsCancellationRequested)
            {
                await Task.Delay(_visibility / 3, work.Token);
                try
                {
                    var receipt = await queue.UpdateMessageAsync(message.MessageId, popReceipt, visibilityTimeout: _visibility, cancellationToken: work.Token);
                    popReceipt = receipt.Value.PopReceipt;
                }
                catch (RequestFailedException e)
                {
                    renewalFailure = e;
                    await work.CancelAsync();
                    return;
                }
            }
        }, work.Token);
        try
        {
            await PoisonRecorder.RunAsync(ctx, QueueNames.Train, text, message.MessageId, message.DequeueCount, maxDequeueCount,
                t => StageTable.Train.MeasuredAsync(ctx, trainer, t, work.Token));
            await StopAsync(work, renewing);
            ThrowIfRenewalFailed(renewalFailure, message.MessageId);
            await queue.DeleteMessageAsync(message.MessageId, popReceipt, CancellationToken.None);
            return Outcome.Completed;
        }
        catch (Exception e) when (e is not RenewalFailedException)
        {
            await StopAsync(work, renewing);
            ThrowIfRenewalFailed(renewalFailure, message.MessageId);
            // The message stays in the queue: it becomes visible again when its timeout runs out (PoisonRecorder logged the attempt).
            if (e is OperationCanceledException) throw;
            return Outcome.Failed;
        }
    }

    private static void ThrowIfRenewalFailed(Exception? failure, string messageId)
    {
        if (failure is RequestFailedException r)
            throw new RenewalFailedException(
                $"train-worker: could not keep training message {messageId} invisible (UpdateMessage answered {r.Status} {r.ErrorCode}); " +
                "training stopped so that no second execution trains the same run. " +
                (r.Status == 403 ? "The identity needs 'Microsoft.Storage/storageAccounts/queueServices/queues/messages/write' on the training queue (Storage Queue Data Contributor)." : "The message reappears after its visibility timeout."),
                r);
    }

    private static async Task StopAsync(CancellationTokenSource work, Task renewing)
    {
        await work.CancelAsync();
        try { await renewing; }
        catch (OperationCanceledException) { }
    }
}

/// <summary>The worker lost its hold on the message; the exception ends the execution with a non-zero exit.</summary>
public sealed class RenewalFailedException(string message, Exception inner) : Exception(message, inner);
