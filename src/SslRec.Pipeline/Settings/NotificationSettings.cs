using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Configuration;
using SslRec.Pipeline.Notifications;

namespace SslRec.Pipeline.Settings;

/// <summary>
/// Where "embeddings published" goes, one rule for every host: <c>SSLREC_NOTIFY</c> = <c>servicebus</c> (the
/// topic) or <c>queue</c> (the local queue sslrec-embeddings-published); unset, the topic when a
/// <c>ServiceBusConnection</c> is configured, else the queue. <c>ServiceBusConnection</c> is a section like
/// AzureWebJobsStorage: a connection string, or <c>fullyQualifiedNamespace</c> with <c>credential</c> / <c>clientId</c>.
/// </summary>
public sealed class NotificationSettings
{
    public const string NotifySetting = "SSLREC_NOTIFY";
    public const string TopicSetting = "SSLREC_PUBLISHED_TOPIC";
    public const string ServiceBusSection = "ServiceBusConnection";

    /// <summary>The local queue (sslrec-embeddings-published).</summary>
    public static NotificationSettings LocalQueue { get; } = new();

    public bool UseServiceBus { get; private init; }
    public string Topic { get; private init; } = ServiceBusNotifier.Topic;
    public string? ConnectionString { get; private init; }
    public string? FullyQualifiedNamespace { get; private init; }
    public AzureCredentials Credentials { get; private init; } = new(null, null);

    public static NotificationSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection(ServiceBusSection);
        var connection = AzureCredentials.NullIfBlank(section.Value);
        var ns = AzureCredentials.NullIfBlank(section["fullyQualifiedNamespace"]);
        var configured = connection is not null || ns is not null;
        var notify = AzureCredentials.NullIfBlank(configuration[NotifySetting])?.ToLowerInvariant() ?? (configured ? "servicebus" : "queue");
        if (notify is not ("queue" or "servicebus"))
            throw new InvalidOperationException($"setting {NotifySetting} must be 'queue' or 'servicebus' (got '{configuration[NotifySetting]}')");
        if (notify == "servicebus" && !configured)
            throw new InvalidOperationException($"{NotifySetting}=servicebus needs the setting {ServiceBusSection}__fullyQualifiedNamespace (or a {ServiceBusSection} connection string)");
        return new NotificationSettings
        {
            UseServiceBus = notify == "servicebus",
            Topic = AzureCredentials.NullIfBlank(configuration[TopicSetting]) ?? ServiceBusNotifier.Topic,
            ConnectionString = connection,
            FullyQualifiedNamespace = ns,
            Credentials = connection is null ? AzureCredentials.From(section) : new(null, null),
        };
    }

    public INotifier CreateNotifier(MessageBus bus)
    {
        if (!UseServiceBus) return new QueueNotifier(bus);
        var client = ConnectionString is not null ? new ServiceBusClient(ConnectionString) : new ServiceBusClient(FullyQualifiedNamespace, Credentials.Create());
        return new ServiceBusNotifier(client.CreateSender(Topic));
    }
}
