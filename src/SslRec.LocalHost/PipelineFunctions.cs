using Microsoft.Azure.WebJobs;
using SslRec.Pipeline;
using SslRec.Pipeline.Configuration;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Stages;

namespace SslRec.LocalHost;

/// <summary>
/// The queue-triggered functions of the local host: each one a few lines calling the Pipeline stage the
/// Azure Functions app calls too. Dequeue counts, poison queues, visibility renewal and back-off are the
/// WebJobs queue extension's own.
/// </summary>
/// <param name="settings">the host's queue settings that the functions need to know (from host.json)</param>
public sealed class PipelineFunctions(PipelineContext ctx, FunctionSettings settings)
{
    private readonly int maxDequeueCount = settings.MaxDequeueCount;

    [FunctionName("drop")]
    public Task Drop([QueueTrigger(QueueNames.Drop)] string message, string id, long dequeueCount, CancellationToken ct) =>
        Guard(QueueNames.Drop, message, id, dequeueCount, text => new DropStage(ctx).HandleAsync(text, ct));

    [FunctionName("shard-map")]
    public Task ShardMap([QueueTrigger(QueueNames.ShardMap)] string message, string id, long dequeueCount, CancellationToken ct) =>
        Guard(QueueNames.ShardMap, message, id, dequeueCount, text => new ShardMapStage(ctx).HandleAsync(JobMessage.Parse<ShardMapMessage>(text), ct));

    [FunctionName("shard-reduce")]
    public Task ShardReduce([QueueTrigger(QueueNames.ShardReduce)] string message, string id, long dequeueCount, CancellationToken ct) =>
        Guard(QueueNames.ShardReduce, message, id, dequeueCount, text => new ShardReduceStage(ctx).HandleAsync(JobMessage.Parse<ShardReduceMessage>(text), ct));

    [FunctionName("publish")]
    public Task Publish([QueueTrigger(QueueNames.Publish)] string message, string id, long dequeueCount, CancellationToken ct) =>
        Guard(QueueNames.Publish, message, id, dequeueCount, text => new PublishStage(ctx).HandleAsync(JobMessage.Parse<PublishMessage>(text), ct));

    [FunctionName("retrain")]
    public Task Retrain([QueueTrigger(QueueNames.Retrain)] string message, string id, long dequeueCount, CancellationToken ct) =>
        Guard(QueueNames.Retrain, message, id, dequeueCount, text => new RetrainStage(ctx, new DropStage(ctx)).HandleAsync(JobMessage.Parse<RetrainMessage>(text), ct));

    private Task Guard(string queue, string message, string id, long dequeueCount, Func<string, Task> run) =>
        PoisonRecorder.RunAsync(ctx, queue, message, id, dequeueCount, maxDequeueCount, run);
}
