using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;

namespace SslRec.Pipeline.Stages;

/// <summary>One stage: its name (run records, logs), its queue, whether it needs the trainer, and its handler of a delivered message.</summary>
public sealed record StageDefinition(string Name, string Queue, bool NeedsTrainer, Func<PipelineContext, IModelTrainer?, QueueDelivery, CancellationToken, Task> Handle)
{
    /// <summary>Handles a message and adds its time and peak memory to the run's record (<see cref="StageMeter"/>).</summary>
    /// <summary>
    /// Handles a message and adds its time and peak memory to the run's record (<see cref="StageMeter"/>).
    /// A message that names its run beats a heartbeat for it while it runs (<see cref="InFlight"/>).
    /// </summary>
    public async Task MeasuredAsync(PipelineContext ctx, IModelTrainer? trainer, QueueDelivery delivery, CancellationToken ct)
    {
        using var meter = StageMeter.Start();
        var text = delivery.Text;
        var named = PoisonRecorder.TryRunId(text);
        if (named is null) await Handle(ctx, trainer, delivery, ct);
        else await InFlight.RunAsync(ctx, named, Name, delivery.MessageId, text.Length <= 512 ? text : text[..512], () => Handle(ctx, trainer, delivery, ct));
        // Stage messages name their run; a drop event names the _READY blob, whose run is dataset@version.
        var runId = named
                    ?? (Name == DropStage.Name ? DropEvents.ParseReadyEvents(text).Where(e => e.IsValid).Select(e => DatasetNames.RunId(e.Dataset, e.Version)).FirstOrDefault() : null);
        await meter.RecordAsync(ctx.Runs, runId, Name, ct);
    }
}

/// <summary>
/// The one table of pipeline stages. The Functions app and the local host have one trigger shim per
/// stage that does not need the trainer (tests derive the expected triggers from this table); the train
/// stage runs in <see cref="TrainWorker"/> (the GPU job, `sslrec train-worker`, the local host's loop).
/// Adding a stage: a queue in <see cref="QueueNames"/>, a row here, and one shim per host (their trigger
/// attributes must be constants on the method); the Bicep's queue list is checked against QueueNames.
/// </summary>
public static class StageTable
{
    public static readonly StageDefinition Drop = new(DropStage.Name, QueueNames.Drop, false,
        (ctx, _, d, ct) => new DropStage(ctx).HandleAsync(d.Text, ct));

    public static readonly StageDefinition ShardMap = new(ShardMapStage.Name, QueueNames.ShardMap, false,
        (ctx, _, d, ct) => new ShardMapStage(ctx).HandleAsync(JobMessage.Parse<ShardMapMessage>(d.Text), ct));

    public static readonly StageDefinition ShardReduce = new(ShardReduceStage.Name, QueueNames.ShardReduce, false,
        (ctx, _, d, ct) => new ShardReduceStage(ctx).HandleAsync(JobMessage.Parse<ShardReduceMessage>(d.Text), ct));

    public static readonly StageDefinition Remap = new(RemapStage.Name, QueueNames.Remap, false,
        (ctx, _, d, ct) => new RemapStage(ctx).HandleAsync(JobMessage.Parse<RemapMessage>(d.Text), ct));

    public static readonly StageDefinition Train = new(TrainStage.Name, QueueNames.Train, true,
        (ctx, trainer, d, ct) => new TrainStage(ctx, trainer ?? throw new InvalidOperationException("the train stage needs a trainer"))
            .HandleAsync(JobMessage.Parse<TrainMessage>(d.Text), d, ct));

    public static readonly StageDefinition Publish = new(PublishStage.Name, QueueNames.Publish, false,
        (ctx, _, d, ct) => new PublishStage(ctx).HandleAsync(JobMessage.Parse<PublishMessage>(d.Text), ct));

    public static readonly StageDefinition Retrain = new(RetrainStage.Name, QueueNames.Retrain, false,
        (ctx, _, d, ct) => new RetrainStage(ctx, new DropStage(ctx)).HandleAsync(d.Text, ct));

    public static readonly IReadOnlyList<StageDefinition> All = [Drop, ShardMap, ShardReduce, Remap, Train, Publish, Retrain];

    public static StageDefinition ForQueue(string queue) =>
        All.SingleOrDefault(s => s.Queue == queue) ?? throw new ArgumentException($"no stage reads queue '{queue}'", nameof(queue));
}

/// <summary>
/// What every host calls for a queue message: the stage of the queue, run under <see cref="PoisonRecorder"/>
/// (decoding, one log line per failed attempt, the last attempt's error recorded and its run failed).
/// </summary>
public sealed class StageDispatcher(PipelineContext ctx, FunctionSettings settings, IModelTrainer? trainer = null)
{
    public Task DispatchAsync(string queue, string message, string messageId, long dequeueCount, CancellationToken ct)
    {
        var stage = StageTable.ForQueue(queue);
        return PoisonRecorder.RunAsync(ctx, queue, message, messageId, dequeueCount, settings.MaxDequeueCount,
            text => stage.MeasuredAsync(ctx, trainer, new QueueDelivery(text, messageId, dequeueCount, DateTimeOffset.UtcNow), ct), ct);
    }
}
