using Azure.Storage.Queues;

namespace SslRec.Pipeline;

/// <summary>Sends stage messages to their queues (base64-encoded, as Functions queue triggers expect).</summary>
public sealed class MessageBus(QueueServiceClient queues)
{
    public QueueServiceClient Service { get; } = queues;

    public QueueClient Queue(string name) => Service.GetQueueClient(name);

    public async Task EnsureQueuesAsync(CancellationToken ct = default)
    {
        foreach (var q in QueueNames.All)
        {
            await Queue(q).CreateIfNotExistsAsync(cancellationToken: ct);
            await Queue(QueueNames.Poison(q)).CreateIfNotExistsAsync(cancellationToken: ct);
        }
    }

    public Task SendAsync(string queue, Messages.JobMessage message, CancellationToken ct = default) =>
        SendTextAsync(queue, message.ToJson(), ct);

    public async Task SendTextAsync(string queue, string text, CancellationToken ct = default) =>
        await Queue(queue).SendMessageAsync(text, ct);
}
