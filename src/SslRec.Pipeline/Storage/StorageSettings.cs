using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace SslRec.Pipeline.Storage;

/// <summary>
/// Storage connection following the Functions conventions: a connection string in
/// AzureWebJobsStorage (locally "UseDevelopmentStorage=true" or Azurite's), or identity-based
/// AzureWebJobsStorage__accountName / __blobServiceUri / __queueServiceUri with DefaultAzureCredential.
/// </summary>
public sealed class StorageSettings
{
    public const string DevelopmentStorage = "UseDevelopmentStorage=true";

    public string? ConnectionString { get; init; }
    public Uri? BlobServiceUri { get; init; }
    public Uri? QueueServiceUri { get; init; }

    /// <summary>Reads AzureWebJobsStorage[...] from a key lookup (environment or configuration).</summary>
    public static StorageSettings From(Func<string, string?> get)
    {
        var cs = get("AzureWebJobsStorage");
        if (!string.IsNullOrWhiteSpace(cs)) return new StorageSettings { ConnectionString = cs };
        var account = get("AzureWebJobsStorage__accountName");
        var blob = get("AzureWebJobsStorage__blobServiceUri") ?? (account is null ? null : $"https://{account}.blob.core.windows.net");
        var queue = get("AzureWebJobsStorage__queueServiceUri") ?? (account is null ? null : $"https://{account}.queue.core.windows.net");
        if (blob is not null && queue is not null) return new StorageSettings { BlobServiceUri = new Uri(blob), QueueServiceUri = new Uri(queue) };
        return new StorageSettings { ConnectionString = DevelopmentStorage };
    }

    public static StorageSettings FromEnvironment() => From(Environment.GetEnvironmentVariable);

    public BlobServiceClient CreateBlobServiceClient() => ConnectionString is not null
        ? new BlobServiceClient(ConnectionString)
        : new BlobServiceClient(BlobServiceUri, new DefaultAzureCredential());

    /// <summary>Queue clients encode messages as base64, which is what Functions queue triggers expect.</summary>
    public QueueServiceClient CreateQueueServiceClient()
    {
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        return ConnectionString is not null
            ? new QueueServiceClient(ConnectionString, options)
            : new QueueServiceClient(QueueServiceUri, new DefaultAzureCredential(), options);
    }

    /// <summary>The value to hand to the WebJobs/Functions host as AzureWebJobsStorage (connection string form only).</summary>
    public string? HostConnectionString => ConnectionString;
}
