using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Storage;

namespace SslRec.LocalHost;

/// <summary>
/// The WebJobs engine's own storage clients (queue listeners, poison queues, its lock blobs), made like
/// SslRec's: they ride out storage outages of minutes (<see cref="StorageResilience"/>; with the SDK's
/// default retries a queue listener gave up after ~30 s and its exception took the process down), and with
/// the emulator they speak a service version Azurite accepts. The engine creates them through
/// Microsoft.Extensions.Azure's <see cref="AzureComponentFactory"/> with no version, i.e. the SDK's newest,
/// which Azurite 3.35–3.37 refuse unless started with --skipApiVersionCheck.
/// </summary>
internal sealed class EngineStorageClients(AzureComponentFactory inner, bool emulator) : AzureComponentFactory
{
    public static void Register(IServiceCollection services, bool emulator)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(AzureComponentFactory))
                         ?? throw new InvalidOperationException("the WebJobs storage extensions did not register an AzureComponentFactory");
        services.Remove(registered);
        services.AddSingleton<AzureComponentFactory>(sp => new EngineStorageClients(Resolve(sp, registered), emulator));
    }

    private static AzureComponentFactory Resolve(IServiceProvider sp, ServiceDescriptor d) =>
        (AzureComponentFactory)(d.ImplementationInstance ?? d.ImplementationFactory?.Invoke(sp)
                                ?? ActivatorUtilities.CreateInstance(sp, d.ImplementationType!));

    public override object CreateClientOptions(Type optionsType, object? serviceVersion, IConfiguration? configuration)
    {
        var options = inner.CreateClientOptions(optionsType, serviceVersion ?? (emulator ? EmulatorVersion(optionsType) : null), configuration!);
        return options is ClientOptions client ? StorageResilience.Apply(client, StorageClientUse.Service) : options;
    }

    private static object? EmulatorVersion(Type optionsType) =>
        optionsType == typeof(QueueClientOptions) ? StorageSettings.EmulatorQueueVersion
        : optionsType == typeof(BlobClientOptions) ? StorageSettings.EmulatorBlobVersion
        : null;

    public override TokenCredential CreateTokenCredential(IConfiguration configuration) => inner.CreateTokenCredential(configuration);

    public override object CreateClient(Type clientType, IConfiguration configuration, TokenCredential credential, object clientOptions) =>
        inner.CreateClient(clientType, configuration, credential, clientOptions);
}
