using System.Text.Json;
using Azure.Messaging.ServiceBus;
using SslRec.Pipeline.Messages;

namespace SslRec.Pipeline.Notifications;

/// <summary>Announces a published embedding version to whoever serves or indexes it.</summary>
public interface INotifier
{
    Task SendAsync(PublishedNotification notification, CancellationToken ct = default);
}

/// <summary>Local stand-in for the Service Bus topic: a storage queue with the same JSON body.</summary>
public sealed class QueueNotifier(MessageBus bus) : INotifier
{
    public Task SendAsync(PublishedNotification n, CancellationToken ct = default) =>
        bus.SendTextAsync(QueueNames.Published, JsonSerializer.Serialize(n, JobMessage.Json), ct);
}

/// <summary>
/// Azure: the "embeddings-published" topic. The message id is model/version, so the topic's duplicate
/// detection drops a repeat sent by a retried publish.
/// </summary>
public sealed class ServiceBusNotifier(ServiceBusSender sender) : INotifier
{
    public const string Topic = "embeddings-published";

    public Task SendAsync(PublishedNotification n, CancellationToken ct = default) =>
        sender.SendMessageAsync(new ServiceBusMessage(BinaryData.FromString(JsonSerializer.Serialize(n, JobMessage.Json)))
        {
            MessageId = n.MessageId,
            ContentType = "application/json",
            Subject = n.Model,
        }, ct);
}
