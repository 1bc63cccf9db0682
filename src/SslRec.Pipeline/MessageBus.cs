using Azure.Storage.Queues;

namespace SslRec.Pipeline;

/// <summary>
/// Sends stage messages to their queues (base64-encoded, as Functions queue triggers expect). Messages are
/// received as raw text (<paramref name="receiving"/>: a client without base64 decoding), because a
/// decoding client throws on a plain-JSON message before anyone can count or poison it.
/// </summary>
public sealed class MessageBus(QueueServiceClient queues, QueueServiceClient? receiving = null)
{
    public QueueServiceClient Service { get; } = queues;

    public QueueClient Queue(string name) => Service.GetQueueClient(name);

    /// <summary>The queue for receiving: message bodies as written (base64 or plain JSON; decode with QueueText).</summary>
    public QueueClient ReceivingQueue(string name) => (receiving ?? Service).GetQueueClient(name);

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
