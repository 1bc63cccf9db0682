using Microsoft.Azure.WebJobs;
using SslRec.Pipeline;
using SslRec.Pipeline.Stages;

namespace SslRec.LocalHost;

/// <summary>
/// The local host's queue triggers, the same shims as the Functions app's over the same
/// <see cref="StageTable"/> (WebJobs attributes instead of the isolated worker's). Dequeue counts, poison
/// queues, visibility renewal and back-off are the WebJobs queue extension's own. A stage is switched off
/// by the setting AzureWebJobs.{stage}.Disabled = true, as in a Functions app (`sslrec host --stages`).
/// </summary>
public sealed class PipelineFunctions(StageDispatcher stages)
{
    [FunctionName("drop")]
    [Disable("AzureWebJobs.drop.Disabled")]
    public Task Drop([QueueTrigger(QueueNames.Drop)] string message, string id, long dequeueCount, CancellationToken ct) =>
        stages.DispatchAsync(QueueNames.Drop, message, id, dequeueCount, ct);

    [FunctionName("shard-map")]
    [Disable("AzureWebJobs.shard-map.Disabled")]
    public Task ShardMap([QueueTrigger(QueueNames.ShardMap)] string message, string id, long dequeueCount, CancellationToken ct) =>
        stages.DispatchAsync(QueueNames.ShardMap, message, id, dequeueCount, ct);

    [FunctionName("shard-reduce")]
    [Disable("AzureWebJobs.shard-reduce.Disabled")]
    public Task ShardReduce([QueueTrigger(QueueNames.ShardReduce)] string message, string id, long dequeueCount, CancellationToken ct) =>
        stages.DispatchAsync(QueueNames.ShardReduce, message, id, dequeueCount, ct);

    [FunctionName("remap")]
    [Disable("AzureWebJobs.remap.Disabled")]
    public Task Remap([QueueTrigger(QueueNames.Remap)] string message, string id, long dequeueCount, CancellationToken ct) =>
        stages.DispatchAsync(QueueNames.Remap, message, id, dequeueCount, ct);

    [FunctionName("publish")]
    [Disable("AzureWebJobs.publish.Disabled")]
    public Task Publish([QueueTrigger(QueueNames.Publish)] string message, string id, long dequeueCount, CancellationToken ct) =>
        stages.DispatchAsync(QueueNames.Publish, message, id, dequeueCount, ct);

    [FunctionName("retrain")]
    [Disable("AzureWebJobs.retrain.Disabled")]
    public Task Retrain([QueueTrigger(QueueNames.Retrain)] string message, string id, long dequeueCount, CancellationToken ct) =>
        stages.DispatchAsync(QueueNames.Retrain, message, id, dequeueCount, ct);
}
