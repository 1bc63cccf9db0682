using Microsoft.Azure.Functions.Worker;
using SslRec.Pipeline;
using SslRec.Pipeline.Configuration;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Stages;

namespace SslRec.Functions;

/// <summary>
/// One queue-triggered function per stage, each a few lines calling the Pipeline stage that the local
/// WebJobs host calls too. Trigger metadata (message id, dequeue count) binds by parameter name; the
/// error of a message's last attempt is recorded before the host moves it to "{queue}-poison".
/// Training is not here: the GPU Container Apps job consumes the training queue.
/// </summary>
public sealed class PipelineFunctions(PipelineContext ctx, FunctionSettings settings)
{
    [Function("drop")]
    public Task Drop([QueueTrigger(QueueNames.Drop, Connection = Storage)] string message, string id, long dequeueCount, CancellationToken ct) =>
        Guard(QueueNames.Drop, message, id, dequeueCount, text => new DropStage(ctx).HandleAsync(text, ct));

    [Function("shard-map")]
    public Task ShardMap([QueueTrigger(QueueNames.ShardMap, Connection = Storage)] string message, string id, long dequeueCount, CancellationToken ct) =>
        Guard(QueueNames.ShardMap, message, id, dequeueCount, text => new ShardMapStage(ctx).HandleAsync(JobMessage.Parse<ShardMapMessage>(text), ct));

    [Function("shard-reduce")]
    public Task ShardReduce([QueueTrigger(QueueNames.ShardReduce, Connection = Storage)] string message, string id, long dequeueCount, CancellationToken ct) =>
        Guard(QueueNames.ShardReduce, message, id, dequeueCount, text => new ShardReduceStage(ctx).HandleAsync(JobMessage.Parse<ShardReduceMessage>(text), ct));

    [Function("publish")]
    public Task Publish([QueueTrigger(QueueNames.Publish, Connection = Storage)] string message, string id, long dequeueCount, CancellationToken ct) =>
        Guard(QueueNames.Publish, message, id, dequeueCount, text => new PublishStage(ctx).HandleAsync(JobMessage.Parse<PublishMessage>(text), ct));

    [Function("retrain")]
    public Task Retrain([QueueTrigger(QueueNames.Retrain, Connection = Storage)] string message, string id, long dequeueCount, CancellationToken ct) =>
        Guard(QueueNames.Retrain, message, id, dequeueCount, text => new RetrainStage(ctx, new DropStage(ctx)).HandleAsync(JobMessage.Parse<RetrainMessage>(text), ct));

    /// <summary>The connection setting prefix: AzureWebJobsStorage (connection string) or AzureWebJobsStorage__accountName (identity).</summary>
    private const string Storage = "AzureWebJobsStorage";

    private Task Guard(string queue, string message, string id, long dequeueCount, Func<string, Task> run) =>
        PoisonRecorder.RunAsync(ctx, queue, message, id, dequeueCount, settings.MaxDequeueCount, run);
}
