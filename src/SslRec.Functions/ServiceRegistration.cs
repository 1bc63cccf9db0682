using Azure.Identity;
using Azure.Messaging.ServiceBus;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SslRec.Pipeline;
using SslRec.Pipeline.Notifications;
using SslRec.Pipeline.Storage;

namespace SslRec.Functions;

public static class ServiceRegistration
{
    /// <summary>Setting that turns on the Service Bus notification ("servicebus") instead of the storage queue ("queue").</summary>
    public const string NotifySetting = "SSLREC_NOTIFY";
    public const string ServiceBusNamespaceSetting = "ServiceBusConnection__fullyQualifiedNamespace";

    /// <summary>
    /// Registers SslRec's pipeline: blob, queue and Service Bus clients through Microsoft.Extensions.Azure
    /// (DefaultAzureCredential with identity-based settings in Azure, a connection string locally), and the
    /// PipelineContext the functions use. Missing settings fail here, at start-up, naming the setting.
    /// </summary>
    public static IServiceCollection AddSslRecPipeline(this IServiceCollection services, IConfiguration config)
    {
        var storage = StorageSettings.From(k => config[k]);
        if (config["AzureWebJobsStorage"] is null && config["AzureWebJobsStorage__accountName"] is null
            && (config["AzureWebJobsStorage__blobServiceUri"] is null || config["AzureWebJobsStorage__queueServiceUri"] is null))
            throw new InvalidOperationException("missing setting AzureWebJobsStorage (a connection string) or AzureWebJobsStorage__accountName (identity-based)");
        var notify = config[NotifySetting] ?? "queue";
        if (notify is not ("queue" or "servicebus"))
            throw new InvalidOperationException($"setting {NotifySetting} must be 'queue' or 'servicebus' (got '{notify}')");
        var serviceBusNamespace = config[ServiceBusNamespaceSetting];
        if (notify == "servicebus" && string.IsNullOrWhiteSpace(serviceBusNamespace) && string.IsNullOrWhiteSpace(config["ServiceBusConnection"]))
            throw new InvalidOperationException($"{NotifySetting}=servicebus needs the setting {ServiceBusNamespaceSetting} (or ServiceBusConnection)");

        services.AddAzureClients(clients =>
        {
            if (storage.ConnectionString is { } cs)
            {
                clients.AddBlobServiceClient(cs);
                clients.AddQueueServiceClient(cs).ConfigureOptions(o => o.MessageEncoding = QueueMessageEncoding.Base64);
            }
            else
            {
                clients.AddBlobServiceClient(storage.BlobServiceUri!);
                clients.AddQueueServiceClient(storage.QueueServiceUri!).ConfigureOptions(o => o.MessageEncoding = QueueMessageEncoding.Base64);
            }
            if (notify == "servicebus")
            {
                if (config["ServiceBusConnection"] is { Length: > 0 } sb) clients.AddServiceBusClient(sb);
                else clients.AddServiceBusClientWithNamespace(serviceBusNamespace!);
            }
            clients.UseCredential(new DefaultAzureCredential());
        });
        services.AddSingleton(new FunctionSettings(HostJsonSettings.MaxDequeueCount(
            File.Exists(Path.Combine(AppContext.BaseDirectory, HostJsonSettings.FileName))
                ? HostJsonSettings.QueueConfiguration(Path.Combine(AppContext.BaseDirectory, HostJsonSettings.FileName))
                : new Dictionary<string, string?>())));
        services.AddSingleton(sp =>
        {
            var bus = new MessageBus(sp.GetRequiredService<QueueServiceClient>());
            INotifier notifier = notify == "servicebus"
                ? new ServiceBusNotifier(sp.GetRequiredService<ServiceBusClient>().CreateSender(config["SSLREC_PUBLISHED_TOPIC"] ?? ServiceBusNotifier.Topic))
                : new QueueNotifier(bus);
            return new PipelineContext(new BlobStore(sp.GetRequiredService<BlobServiceClient>()), bus, notifier, new PipelineOptions(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("SslRec"));
        });
        return services;
    }
}

/// <summary>Settings the functions read (the host's maxDequeueCount, to record errors on the last attempt).</summary>
public sealed record FunctionSettings(int MaxDequeueCount);
