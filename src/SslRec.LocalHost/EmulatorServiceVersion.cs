using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SslRec.Pipeline.Storage;

namespace SslRec.LocalHost;

/// <summary>
/// Makes the WebJobs engine's own storage clients (queue listeners, poison queues, its lock blobs) speak a
/// service version Azurite accepts. The engine creates them through Microsoft.Extensions.Azure's
/// <see cref="AzureComponentFactory"/> with no version, i.e. the SDK's newest, which Azurite 3.35–3.37
/// refuse unless started with --skipApiVersionCheck. Registered only when the storage is the emulator.
/// </summary>
internal sealed class EmulatorServiceVersion(AzureComponentFactory inner) : AzureComponentFactory
{
    public static void Register(IServiceCollection services)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(AzureComponentFactory))
                         ?? throw new InvalidOperationException("the WebJobs storage extensions did not register an AzureComponentFactory");
        services.Remove(registered);
        services.AddSingleton<AzureComponentFactory>(sp => new EmulatorServiceVersion(Resolve(sp, registered)));
    }

    private static AzureComponentFactory Resolve(IServiceProvider sp, ServiceDescriptor d) =>
        (AzureComponentFactory)(d.ImplementationInstance ?? d.ImplementationFactory?.Invoke(sp)
                                ?? ActivatorUtilities.CreateInstance(sp, d.ImplementationType!));

    public override object CreateClientOptions(Type optionsType, object? serviceVersion, IConfiguration? configuration) =>
        inner.CreateClientOptions(optionsType, serviceVersion ?? EmulatorVersion(optionsType), configuration!);

    private static object? EmulatorVersion(Type optionsType) =>
        optionsType == typeof(QueueClientOptions) ? StorageSettings.EmulatorQueueVersion
        : optionsType == typeof(BlobClientOptions) ? StorageSettings.EmulatorBlobVersion
        : null;

    public override TokenCredential CreateTokenCredential(IConfiguration configuration) => inner.CreateTokenCredential(configuration);

    public override object CreateClient(Type clientType, IConfiguration configuration, TokenCredential credential, object clientOptions) =>
        inner.CreateClient(clientType, configuration, credential, clientOptions);
}
