using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SslRec.Pipeline.Settings;
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
    /// <summary>The dataset header of the run this host last remapped (one per host, not per process).</summary>
    public Stages.RemapTablesCache RemapTables { get; } = new();

    public PipelineContext(BlobStore blobs, MessageBus bus, INotifier? notifier = null, PipelineOptions? options = null, ILogger? logger = null)
    {
        Blobs = blobs;
        Bus = bus;
        Runs = new RunStore(blobs);
        Notifier = notifier ?? new QueueNotifier(bus);
        Options = options ?? new PipelineOptions();
        Logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// False for identity-based storage: in Azure the template creates every queue and container, and no
    /// identity is granted the right to create them (only the data actions its code performs).
    /// </summary>
    public bool CreatesInfrastructure { get; init; } = true;

    /// <summary>The context a host builds from its configuration (see <see cref="PipelineSettings"/>).</summary>
    /// <param name="use">a host's clients ride out storage outages of minutes; a one-shot command's fail within seconds</param>
    public static PipelineContext Create(PipelineSettings settings, ILogger? logger = null, StorageClientUse use = StorageClientUse.Service)
    {
        var s = settings.Storage;
        var bus = new MessageBus(s.CreateQueueServiceClient(use: use), s.CreateQueueServiceClient(Azure.Storage.Queues.QueueMessageEncoding.None, use));
        return new PipelineContext(new BlobStore(s.CreateBlobServiceClient(use)), bus, settings.Notifications.CreateNotifier(bus), settings.Options, logger)
        {
            CreatesInfrastructure = !settings.Storage.UsesIdentity,
        };
    }

    /// <summary>A context on the given storage that notifies through the local queue (tests, the demo).</summary>
    public static PipelineContext Create(StorageSettings storage, PipelineOptions? options = null, ILogger? logger = null) =>
        Create(PipelineSettings.Local(storage, options), logger);

    /// <summary>Creates containers and queues (idempotent).</summary>
    public async Task EnsureInfrastructureAsync(CancellationToken ct = default)
    {
        if (!CreatesInfrastructure) return;
        await Blobs.EnsureContainersAsync(ct);
        await Bus.EnsureQueuesAsync(ct);
    }
}
