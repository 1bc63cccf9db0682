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
        return new PipelineContext(new BlobStore(storage.CreateBlobServiceClient()), bus, notifier, options, logger);
    }

    /// <summary>Creates containers and queues (idempotent).</summary>
    public async Task EnsureInfrastructureAsync(CancellationToken ct = default)
    {
        await Blobs.EnsureContainersAsync(ct);
        await Bus.EnsureQueuesAsync(ct);
    }
}
