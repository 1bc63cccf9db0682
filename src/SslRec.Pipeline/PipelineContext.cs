using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SslRec.Pipeline.Notifications;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline;

/// <summary>What every stage needs: storage, queues, run records, the notifier, options and a logger.</summary>
public sealed class PipelineContext
{
    public BlobStore Blobs { get; }
    public MessageBus Bus { get; }
    public RunStore Runs { get; }
    public INotifier Notifier { get; }
    public PipelineOptions Options { get; }
    public ILogger Logger { get; }

    public PipelineContext(BlobStore blobs, MessageBus bus, INotifier? notifier = null, PipelineOptions? options = null, ILogger? logger = null)
    {
        Blobs = blobs;
        Bus = bus;
        Runs = new RunStore(blobs);
        Notifier = notifier ?? new QueueNotifier(bus);
        Options = options ?? new PipelineOptions();
        Logger = logger ?? NullLogger.Instance;
    }

    public static PipelineContext Create(StorageSettings storage, INotifier? notifier = null, PipelineOptions? options = null, ILogger? logger = null)
    {
        var bus = new MessageBus(storage.CreateQueueServiceClient());
        return new PipelineContext(new BlobStore(storage.CreateBlobServiceClient()), bus, notifier ?? NotifierFromEnvironment(), options, logger);
    }

    /// <summary>
    /// The Service Bus topic when a namespace is configured (ServiceBusConnection: a connection string, or
    /// ServiceBusConnection__fullyQualifiedNamespace with DefaultAzureCredential; topic name from
    /// SSLREC_PUBLISHED_TOPIC, default "embeddings-published"); otherwise null, meaning the local queue.
    /// </summary>
    public static INotifier? NotifierFromEnvironment(Func<string, string?>? get = null)
    {
        get ??= Environment.GetEnvironmentVariable;
        var topic = get("SSLREC_PUBLISHED_TOPIC") ?? ServiceBusNotifier.Topic;
        var connection = get("ServiceBusConnection");
        if (!string.IsNullOrWhiteSpace(connection))
            return new ServiceBusNotifier(new Azure.Messaging.ServiceBus.ServiceBusClient(connection).CreateSender(topic));
        var ns = get("ServiceBusConnection__fullyQualifiedNamespace");
        if (!string.IsNullOrWhiteSpace(ns))
            return new ServiceBusNotifier(new Azure.Messaging.ServiceBus.ServiceBusClient(ns, new Azure.Identity.DefaultAzureCredential()).CreateSender(topic));
        return null;
    }

    /// <summary>Creates containers and queues (idempotent).</summary>
    public async Task EnsureInfrastructureAsync(CancellationToken ct = default)
    {
        await Blobs.EnsureContainersAsync(ct);
        await Bus.EnsureQueuesAsync(ct);
    }
}
