using Microsoft.Azure.WebJobs;
using SslRec.Pipeline;
using SslRec.Pipeline.Configuration;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Stages;

namespace SslRec.LocalHost;

/// <summary>
/// The training queue's function, in a class of its own so that a host started without a trainer
/// (`sslrec host --no-train`) does not index it and never takes a training message: those wait for
/// `sslrec train-worker`, as they wait for the GPU job in Azure.
/// </summary>
public sealed class TrainFunction(PipelineContext ctx, FunctionSettings settings, IModelTrainer trainer)
{
    // Training runs one at a time locally (in Azure each container job replica takes one message).
    private static readonly SemaphoreSlim TrainingSlot = new(1, 1);

    [FunctionName("train")]
    public Task Train([QueueTrigger(QueueNames.Train)] string message, string id, long dequeueCount, CancellationToken ct) =>
        PoisonRecorder.RunAsync(ctx, QueueNames.Train, message, id, dequeueCount, settings.MaxDequeueCount, async text =>
        {
            await TrainingSlot.WaitAsync(ct);
            try { await new TrainStage(ctx, trainer).HandleAsync(JobMessage.Parse<TrainMessage>(text), ct); }
            finally { TrainingSlot.Release(); }
        });
}
