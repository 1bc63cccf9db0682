using Microsoft.Azure.WebJobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SslRec.Pipeline;
using SslRec.Pipeline.Storage;

namespace SslRec.LocalHost;

/// <summary>
/// Builds the WebJobs host that runs every stage in one process: AzureWebJobsStorage points at Azurite
/// (or a real account), queue options come from host.json, and the only functions are
/// <see cref="PipelineFunctions"/>.
/// </summary>
public static class LocalPipelineHost
{
    public static IHost Build(StorageSettings storage, PipelineOptions options, IModelTrainer? trainer,
        string? hostJsonPath = null, LogLevel minimumLevel = LogLevel.Warning, Action<IServiceCollection>? configure = null)
    {
        var queueSettings = HostJsonSettings.QueueConfiguration(hostJsonPath ?? HostJsonSettings.Locate());
        return new HostBuilder()
            .ConfigureAppConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?>(queueSettings)
            {
                ["AzureWebJobsStorage"] = storage.HostConnectionString
                    ?? throw new NotSupportedException("the local host needs a storage connection string (AzureWebJobsStorage)"),
            }))
            .ConfigureWebJobs(b =>
            {
                b.AddAzureStorageCoreServices();
                b.AddAzureStorageQueues();
            })
            .ConfigureLogging(l => l.SetMinimumLevel(minimumLevel)
                // The SDK logs expected 404/409/412 answers (conditional writes, existence checks) as warnings.
                .AddFilter("Azure.Core", LogLevel.Error)
                .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }))
            .ConfigureServices(s =>
            {
                s.AddSingleton<ITypeLocator>(new FunctionTypes(typeof(PipelineFunctions)));
                s.AddSingleton(sp => PipelineContext.Create(storage, options: options, logger: sp.GetRequiredService<ILoggerFactory>().CreateLogger("sslrec")));
                if (trainer is not null) s.AddSingleton(trainer);
                s.AddSingleton(new FunctionSettings(HostJsonSettings.MaxDequeueCount(queueSettings)));
                configure?.Invoke(s);
            })
            .Build();
    }

    private sealed class FunctionTypes(params Type[] types) : ITypeLocator
    {
        public IReadOnlyList<Type> GetTypes() => types;
    }
}
