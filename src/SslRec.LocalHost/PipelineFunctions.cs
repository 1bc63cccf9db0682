using Microsoft.Azure.WebJobs;
using SslRec.Pipeline;
using SslRec.Pipeline.Stages;

namespace SslRec.LocalHost;

/// <summary>
/// The local host's queue triggers, the same shims as the Functions app's over the same
/// <see cref="StageTable"/> (WebJobs attributes instead of the isolated worker's). Dequeue counts, poison
/// queues, visibility renewal and back-off are the WebJobs queue extension's own.
/// </summary>
public sealed class PipelineFunctions(StageDispatcher stages)
{
    [FunctionName("drop")]
    public Task Drop([QueueTrigger(QueueNames.Drop)] string message, string id, long dequeueCount, CancellationToken ct) =>
        stages.DispatchAsync(QueueNames.Drop, message, id, dequeueCount, ct);

    [FunctionName("shard-map")]
    public Task ShardMap([QueueTrigger(QueueNames.ShardMap)] string message, string id, long dequeueCount, CancellationToken ct) =>
        stages.DispatchAsync(QueueNames.ShardMap, message, id, dequeueCount, ct);

    [FunctionName("shard-reduce")]
    public Task ShardReduce([QueueTrigger(QueueNames.ShardReduce)] string message, string id, long dequeueCount, CancellationToken ct) =>
        stages.DispatchAsync(QueueNames.ShardReduce, message, id, dequeueCount, ct);

    [FunctionName("remap")]
    public Task Remap([QueueTrigger(QueueNames.Remap)] string message, string id, long dequeueCount, CancellationToken ct) =>
        stages.DispatchAsync(QueueNames.Remap, message, id, dequeueCount, ct);

    [FunctionName("publish")]
    public Task Publish([QueueTrigger(QueueNames.Publish)] string message, string id, long dequeueCount, CancellationToken ct) =>
        stages.DispatchAsync(QueueNames.Publish, message, id, dequeueCount, ct);

    [FunctionName("retrain")]
    public Task Retrain([QueueTrigger(QueueNames.Retrain)] string message, string id, long dequeueCount, CancellationToken ct) =>
        stages.DispatchAsync(QueueNames.Retrain, message, id, dequeueCount, ct);
}
