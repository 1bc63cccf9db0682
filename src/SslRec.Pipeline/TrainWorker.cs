using Azure;
using Azure.Identity;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using SslRec.Core.Checkpoints;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Stages;

namespace SslRec.Pipeline;

/// <summary>
/// The trainer's side of the pipeline: `sslrec train-worker` (the GPU container job's entry point) and the
/// local host's training loop run it. Takes one message from the training queue,
/// keeps it invisible while training (renewing the visibility timeout), deletes it when the stage is done.
/// If the worker dies, the message becomes visible again and the next attempt resumes from the last blob
/// checkpoint. Outside the Functions host nobody else counts attempts, so after maxDequeueCount the worker
/// moves the message to the poison queue itself (and fails its run).
///
/// A training longer than one execution may run (the GPU job's replica timeout) stops at the execution's
/// time budget (<see cref="PipelineOptions.TrainTimeBudgetSeconds"/>) with a checkpoint, and the worker hands
/// the run over: it sends a continuation message first and deletes its own message second, so dying between
/// the two leaves two messages for the run (the second one finds the run held or done and is dropped), never
/// none. A hand-over is not a failed attempt: every execution starts on a fresh message.
/// </summary>
public sealed class TrainWorker(PipelineContext ctx, IModelTrainer trainer, TimeSpan? visibility = null, int maxDequeueCount = 5)
{
    /// <summary>
    /// How long the message stays invisible without a renewal: if the worker dies, the next one takes the
    /// message about a minute later (and resumes from the last checkpoint). Renewed every third of it.
    /// </summary>
    public static readonly TimeSpan DefaultVisibility = TimeSpan.FromSeconds(60);

    private readonly TimeSpan _visibility = visibility ?? DefaultVisibility;

    public enum Outcome { NoMessage, Completed, HandedOver, Duplicate, Rejected, Failed, Poisoned }

    /// <summary>The dequeue count of the last message this worker received (1 on its first delivery).</summary>
    public long LastDequeueCount { get; private set; }

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
        var queue = ctx.Bus.ReceivingQueue(QueueNames.Train);
        var message = await ReceiveAsync(queue, ct);
        if (message is null) return Outcome.NoMessage;
        var receivedAt = DateTimeOffset.UtcNow;
        LastDequeueCount = message.DequeueCount;
        var text = message.Body.ToString();
        if (message.DequeueCount > maxDequeueCount)
        {
            // Its earlier deliveries ended without finishing and without recording a failure: the execution was
            // killed (out of memory, past the replica timeout, a lost node). Fail the run visibly, as any stage does.
            await PoisonRecorder.RecordAbandonedAsync(ctx, QueueNames.Train, text, message.MessageId, message.DequeueCount,
                $"received {message.DequeueCount - 1} times by executions that ended without finishing (killed, out of memory, or past the job's replica timeout)", ct);
            await ctx.Bus.SendTextAsync(QueueNames.Poison(QueueNames.Train), QueueText.Decode(text), ct);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
            ctx.Logger.LogError("train-worker: message {Id} was received {Count} times without finishing; moved to {Poison}", message.MessageId, message.DequeueCount - 1, QueueNames.Poison(QueueNames.Train));
            return Outcome.Poisoned;
        }

        var popReceipt = message.PopReceipt;
        // Training stops when the message can no longer be kept invisible: otherwise it reappears, a second
        // execution trains the same run, and this one's delete fails on a stale pop receipt. Any failure of a
        // renewal but our own stop is a lost hold (a 403, an expired token, a network give-up), not just a
        // storage error: a renewal loop that ended quietly let training go on until the message reappeared.
        using var work = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Exception? renewalFailure = null;
        var renewing = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    await Task.Delay(_visibility / 3, work.Token);
                    var receipt = await queue.UpdateMessageAsync(message.MessageId, popReceipt, visibilityTimeout: _visibility, cancellationToken: work.Token);
                    popReceipt = receipt.Value.PopReceipt;
                }
            }
            catch (Exception e) when (!work.IsCancellationRequested)
            {
                renewalFailure = e;
                ctx.Logger.LogError("train-worker: {Error}", RenewalFailedException.Describe(e, message.MessageId));
                await work.CancelAsync();
            }
        }, CancellationToken.None);
        try
        {
            var handled = await PoisonRecorder.RunAsync(ctx, QueueNames.Train, text, message.MessageId, message.DequeueCount, maxDequeueCount,
                t => StageTable.Train.MeasuredAsync(ctx, trainer, new QueueDelivery(t, message.MessageId, message.DequeueCount, receivedAt), work.Token));
            await SettleAsync();
            return handled ? Outcome.Completed : Outcome.Rejected;
        }
        catch (TrainingSuspendedException suspended) when (renewalFailure is null)
        {
            await StopAsync(work, renewing);
            ThrowIfRenewalFailed(renewalFailure, message.MessageId);
            var m = JobMessage.Parse<TrainMessage>(QueueText.Decode(text));
            var next = m with { ContinuesFromStep = suspended.Step, Execution = (m.Execution ?? 1) + 1 };
            // Continuation first, delete second: nothing is lost if this execution dies in between.
            await ctx.Bus.SendAsync(QueueNames.Train, next, CancellationToken.None);
            await queue.DeleteMessageAsync(message.MessageId, popReceipt, CancellationToken.None);
            ctx.Logger.LogInformation("train-worker: run {Run} stopped at its time budget at step {Step}/{Total}; execution {Next} continues from that checkpoint",
                m.RunId, suspended.Step, suspended.TotalSteps, next.Execution);
            return Outcome.HandedOver;
        }
        catch (DuplicateMessageException duplicate) when (renewalFailure is null)
        {
            await SettleAsync();
            ctx.Logger.LogWarning("train-worker: {Reason}; message {Id} is a duplicate and was deleted", duplicate.Message, message.MessageId);
            return Outcome.Duplicate;
        }
        catch (Exception e) when (e is not RenewalFailedException)
        {
            await StopAsync(work, renewing);
            ThrowIfRenewalFailed(renewalFailure, message.MessageId);
            // The message stays in the queue: it becomes visible again when its timeout runs out (PoisonRecorder logged the attempt).
            if (e is OperationCanceledException) throw;
            return Outcome.Failed;
        }

        // The stage is done with the message: stop renewing and delete it (unless the hold was lost on the way).
        async Task SettleAsync()
        {
            await StopAsync(work, renewing);
            ThrowIfRenewalFailed(renewalFailure, message.MessageId);
            await queue.DeleteMessageAsync(message.MessageId, popReceipt, CancellationToken.None);
        }
    }

    /// <summary>
    /// Receives one message. A worker that cannot even do that (a role not yet propagated, a wrong client id)
    /// never raises a dequeue count, so every polling interval would start another GPU execution that fails
    /// the same way: it says in one line what it lacks.
    /// </summary>
    private async Task<QueueMessage?> ReceiveAsync(QueueClient queue, CancellationToken ct)
    {
        try
        {
            return (await queue.ReceiveMessageAsync(_visibility, ct)).Value;
        }
        catch (RequestFailedException e) when (e.Status is 401 or 403)
        {
            throw new TrainWorkerAccessException(
                $"train-worker: storage refused to give a message from queue {queue.Name} at {queue.Uri.Host} ({e.Status} {e.ErrorCode}): the job's identity needs " +
                "Get Messages, Update Message and Delete Message on that queue (the Bicep's 'SslRec training queue worker' role; new assignments take up to 10 minutes to apply) " +
                "and AzureWebJobsStorage__clientId must be the client id of the job's user-assigned identity", e);
        }
        catch (AuthenticationFailedException e)
        {
            throw new TrainWorkerAccessException(
                $"train-worker: no token for storage account {queue.AccountName} ({e.Message.Split('\n', 2)[0].Trim()}): AzureWebJobsStorage__clientId must be " +
                "the client id of a user-assigned identity attached to this job (or absent for a system-assigned one)", e);
        }
    }

    private static void ThrowIfRenewalFailed(Exception? failure, string messageId)
    {
        if (failure is not null) throw new RenewalFailedException(RenewalFailedException.Describe(failure, messageId), failure);
    }

    private static async Task StopAsync(CancellationTokenSource work, Task renewing)
    {
        await work.CancelAsync();
        try { await renewing; }
        catch (OperationCanceledException) { }
    }
}

/// <summary>The worker lost its hold on the message; the exception ends the execution with a non-zero exit.</summary>
public sealed class RenewalFailedException(string message, Exception inner) : Exception(message, inner)
{
    public static string Describe(Exception failure, string messageId)
    {
        var cause = failure is RequestFailedException r ? $"UpdateMessage answered {r.Status} {r.ErrorCode}" : $"{failure.GetType().Name}: {failure.Message.Split('\n', 2)[0].Trim()}";
        var hint = failure is RequestFailedException { Status: 403 }
            ? "The identity needs 'Microsoft.Storage/storageAccounts/queueServices/queues/messages/write' on the training queue."
            : "The message reappears after its visibility timeout and the next execution resumes from the last checkpoint.";
        return $"could not keep training message {messageId} invisible ({cause}); training stopped so that no second execution trains the same run. {hint}";
    }
}

/// <summary>The worker cannot take messages at all (identity, roles): one line that says what it lacks.</summary>
public sealed class TrainWorkerAccessException(string message, Exception inner) : InvalidOperationException(message, inner);
