using Azure;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;
using SslRec.Pipeline;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Stages;

namespace SslRec.Worker;

/// <summary>
/// `sslrec train-worker`, the GPU container job's entry point: takes one message from the training queue,
/// keeps it invisible while training (renewing the visibility timeout), deletes it when the stage is done.
/// If the worker dies, the message becomes visible again and the next attempt resumes from the last blob
/// checkpoint. Outside the Functions host nobody else counts attempts, so after maxDequeueCount the worker
/// moves the message to the poison queue itself.
/// </summary>
public sealed class TrainWorker(PipelineContext ctx, IModelTrainer trainer, TimeSpan? visibility = null, int maxDequeueCount = 5)
{
    private readonly TimeSpan _visibility = visibility ?? TimeSpan.FromMinutes(2);

    public enum Outcome { NoMessage, Completed, Failed, Poisoned }

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
        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var renewing = Task.Run(async () =>
        {
            while (!renewal.IsCancellationRequested)
            {
                await Task.Delay(_visibility / 2, renewal.Token);
                var receipt = await queue.UpdateMessageAsync(message.MessageId, popReceipt, visibilityTimeout: _visibility, cancellationToken: renewal.Token);
                popReceipt = receipt.Value.PopReceipt;
            }
        }, renewal.Token);
        try
        {
            await PoisonRecorder.RunAsync(ctx, QueueNames.Train, text, message.MessageId, message.DequeueCount, maxDequeueCount,
                () => new TrainStage(ctx, trainer).HandleAsync(JobMessage.Parse<TrainMessage>(text), ct));
            await StopAsync(renewal, renewing);
            await queue.DeleteMessageAsync(message.MessageId, popReceipt, CancellationToken.None);
            return Outcome.Completed;
        }
        catch (Exception e)
        {
            await StopAsync(renewal, renewing);
            // The message stays in the queue: it becomes visible again when its timeout runs out.
            ctx.Logger.LogError(e, "train-worker: attempt {Count} of message {Id} failed; it will be retried", message.DequeueCount, message.MessageId);
            if (e is OperationCanceledException) throw;
            return Outcome.Failed;
        }
    }

    private static async Task StopAsync(CancellationTokenSource renewal, Task renewing)
    {
        renewal.Cancel();
        try { await renewing; }
        catch (OperationCanceledException) { }
        catch (RequestFailedException) { }
    }
}
