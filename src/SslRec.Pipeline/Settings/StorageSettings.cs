using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Settings;

/// <summary>
/// The storage connection, read as the Functions host reads <c>AzureWebJobsStorage</c>: a configuration
/// section whose value is a connection string, or whose keys are <c>accountName</c> (or <c>blobServiceUri</c> +
/// <c>queueServiceUri</c>) with <c>credential</c> / <c>clientId</c>. App settings and environment variables spell
/// the keys with "__" (<c>AzureWebJobsStorage__accountName</c>); .NET configuration turns that into ":", so a
/// section is the only reading that works in Azure, from the command line and in tests alike.
/// </summary>
public sealed class StorageSettings
{
    public const string SectionName = "AzureWebJobsStorage";
    public const string DevelopmentStorage = "UseDevelopmentStorage=true";

    /// <summary>
    /// The newest storage service version the current Azurite releases accept (3.35–3.37 answer 400 to the
    /// SDK's default 2026-10-06 unless started with --skipApiVersionCheck, which users do not pass).
    /// </summary>
    public const BlobClientOptions.ServiceVersion EmulatorBlobVersion = BlobClientOptions.ServiceVersion.V2025_11_05;
    public const QueueClientOptions.ServiceVersion EmulatorQueueVersion = QueueClientOptions.ServiceVersion.V2025_11_05;

    public string? ConnectionString { get; init; }
    public Uri? BlobServiceUri { get; init; }
    public Uri? QueueServiceUri { get; init; }
    public AzureCredentials Credentials { get; init; } = new(null, null);

    /// <summary>Identity-based (no shared key): the identity's roles decide what it may do, so nothing creates queues or containers.</summary>
    public bool UsesIdentity => ConnectionString is null;

    /// <summary>The local emulator (Azurite): UseDevelopmentStorage=true, the well-known account, or a loopback endpoint.</summary>
    public bool IsEmulator => ConnectionString is { } cs
        ? cs.Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase) || cs.Contains("AccountName=devstoreaccount1", StringComparison.OrdinalIgnoreCase)
          || cs.Contains("://127.0.0.1", StringComparison.Ordinal) || cs.Contains("://localhost", StringComparison.OrdinalIgnoreCase)
        : BlobServiceUri!.IsLoopback;

    /// <param name="required">
    /// false (command line, local host): with no setting, the local emulator. true (the Functions app): a
    /// missing setting is an error naming it, so a misconfigured app fails at start-up, not at its first message.
    /// </param>
    public static StorageSettings From(IConfiguration configuration, bool required = false)
    {
        var section = configuration.GetSection(SectionName);
        if (AzureCredentials.NullIfBlank(section.Value) is { } cs) return new StorageSettings { ConnectionString = cs };
        var account = AzureCredentials.NullIfBlank(section["accountName"]);
        var blob = AzureCredentials.NullIfBlank(section["blobServiceUri"]) ?? (account is null ? null : $"https://{account}.blob.core.windows.net");
        var queue = AzureCredentials.NullIfBlank(section["queueServiceUri"]) ?? (account is null ? null : $"https://{account}.queue.core.windows.net");
        if (blob is not null && queue is not null)
            return new StorageSettings { BlobServiceUri = ParseUri(section, "blobServiceUri", blob), QueueServiceUri = ParseUri(section, "queueServiceUri", queue), Credentials = AzureCredentials.From(section) };
        if (blob is not null || queue is not null)
            throw new InvalidOperationException($"setting {SectionName}: {AzureCredentials.SettingName(section, "blobServiceUri")} and {AzureCredentials.SettingName(section, "queueServiceUri")} go together (or set {AzureCredentials.SettingName(section, "accountName")})");
        if (required)
            throw new InvalidOperationException($"missing setting {SectionName}: a connection string, or {SectionName}__accountName (identity-based, with {SectionName}__credential=managedidentity in Azure)");
        return new StorageSettings { ConnectionString = DevelopmentStorage };
    }

    public BlobServiceClient CreateBlobServiceClient(StorageClientUse use = StorageClientUse.Service)
    {
        var options = StorageResilience.Apply(IsEmulator ? new BlobClientOptions(EmulatorBlobVersion) : new BlobClientOptions(), use);
        return ConnectionString is not null ? new BlobServiceClient(ConnectionString, options) : new BlobServiceClient(BlobServiceUri, Credential, options);
    }

    /// <summary>
    /// Queue clients encode messages as base64, which is what Functions queue triggers expect; a client that
    /// receives messages anyone may have written (plain JSON by `az storage message put`) takes them as raw
    /// text (<see cref="QueueMessageEncoding.None"/>) and decodes them with QueueText.
    /// </summary>
    public QueueServiceClient CreateQueueServiceClient(QueueMessageEncoding encoding = QueueMessageEncoding.Base64, StorageClientUse use = StorageClientUse.Service)
    {
        var options = StorageResilience.Apply(IsEmulator ? new QueueClientOptions(EmulatorQueueVersion) : new QueueClientOptions(), use);
        options.MessageEncoding = encoding;
        return ConnectionString is not null ? new QueueServiceClient(ConnectionString, options) : new QueueServiceClient(QueueServiceUri, Credential, options);
    }

    private TokenCredential? _credential;
    private TokenCredential Credential => _credential ??= Credentials.Create();

    /// <summary>The value to hand to the WebJobs/Functions host as AzureWebJobsStorage (connection string form only).</summary>
    public string? HostConnectionString => ConnectionString;

    private static Uri ParseUri(IConfigurationSection section, string key, string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) ? uri
            : throw new InvalidOperationException($"setting {AzureCredentials.SettingName(section, key)}: '{value}' is not an absolute URI");
}
