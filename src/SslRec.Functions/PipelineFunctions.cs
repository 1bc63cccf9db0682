using Microsoft.Azure.Functions.Worker;
using SslRec.Pipeline;
using SslRec.Pipeline.Stages;

namespace SslRec.Functions;

/// <summary>
/// The Functions app's queue triggers: one shim per stage of <see cref="StageTable"/> that does not need the
/// trainer (the GPU job takes the training queue). Trigger metadata (message id, dequeue count) binds by
/// parameter name; the attributes must be constants, so each stage keeps its own method.
/// </summary>
public sealed class PipelineFunctions(StageDispatcher stages)
{
    /// <summary>The connection setting (section): AzureWebJobsStorage as a connection string, or AzureWebJobsStorage__accountName + credential.</summary>
    private const string Storage = "AzureWebJobsStorage";

    [Function("drop")]
    public Task Drop([QueueTrigger(QueueNames.Drop, Connection = Storage)] string message, string id, long dequeueCount, CancellationToken ct) =>
        stages.DispatchAsync(QueueNames.Drop, message, id, dequeueCount, ct);

    [Function("shard-map")]
    public Task ShardMap([QueueTrigger(QueueNames.ShardMap, Connection = Storage)] string message, string id, long dequeueCount, CancellationToken ct) =>
        stages.DispatchAsync(QueueNames.ShardMap, message, id, dequeueCount, ct);

    [Function("shard-reduce")]
    public Task ShardReduce([QueueTrigger(QueueNames.ShardReduce, Connection = Storage)] string message, string id, long dequeueCount, CancellationToken ct) =>
        stages.DispatchAsync(QueueNames.ShardReduce, message, id, dequeueCount, ct);

    [Function("remap")]
    public Task Remap([QueueTrigger(QueueNames.Remap, Connection = Storage)] string message, string id, long dequeueCount, CancellationToken ct) =>
        stages.DispatchAsync(QueueNames.Remap, message, id, dequeueCount, ct);

    [Function("publish")]
    public Task Publish([QueueTrigger(QueueNames.Publish, Connection = Storage)] string message, string id, long dequeueCount, CancellationToken ct) =>
        stages.DispatchAsync(QueueNames.Publish, message, id, dequeueCount, ct);

    [Function("retrain")]
    public Task Retrain([QueueTrigger(QueueNames.Retrain, Connection = Storage)] string message, string id, long dequeueCount, CancellationToken ct) =>
        stages.DispatchAsync(QueueNames.Retrain, message, id, dequeueCount, ct);
}
