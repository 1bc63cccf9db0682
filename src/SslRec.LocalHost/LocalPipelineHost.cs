using Microsoft.Azure.WebJobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SslRec.Pipeline;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Stages;

namespace SslRec.LocalHost;

/// <summary>
/// Builds the WebJobs host that runs the stages in one process: AzureWebJobsStorage points at Azurite
/// (or a real account), queue options come from host.json, and the functions are
/// <see cref="PipelineFunctions"/> (the Functions app's stages). Only a host given a trainer takes training
/// messages, through <see cref="TrainWorkerLoop"/>; one without leaves them to `sslrec train-worker`, as the
/// function app leaves them to the GPU job.
/// </summary>
public static class LocalPipelineHost
{
    /// <param name="stages">the stages whose queues this host reads (null: all); the others are disabled as a Functions app disables a function</param>
    public static IHost Build(PipelineSettings settings, IModelTrainer? trainer,
        string? hostJsonPath = null, LogLevel minimumLevel = LogLevel.Warning, Action<IServiceCollection>? configure = null,
        IReadOnlySet<string>? stages = null)
    {
        var queueSettings = HostJsonSettings.QueueConfiguration(hostJsonPath ?? HostJsonSettings.Locate());
        var configuration = new Dictionary<string, string?>(queueSettings)
        {
            ["AzureWebJobsStorage"] = settings.Storage.HostConnectionString
                ?? throw new NotSupportedException("the local host needs a storage connection string (AzureWebJobsStorage); identity-based storage is for the Azure Functions app"),
        };
        if (stages is not null)
        {
            var unknown = stages.Except(StageTable.All.Select(s => s.Name)).ToList();
            if (unknown.Count > 0) throw new ArgumentException($"unknown stage(s) {string.Join(", ", unknown)} (stages: {string.Join(", ", StageTable.All.Select(s => s.Name))})");
            foreach (var stage in StageTable.All.Where(s => !s.NeedsTrainer && !stages.Contains(s.Name)))
                configuration[$"AzureWebJobs.{stage.Name}.Disabled"] = "true";
        }
        return new HostBuilder()
            .ConfigureAppConfiguration(c => c.AddInMemoryCollection(configuration))
            .ConfigureWebJobs(b =>
            {
                b.AddAzureStorageCoreServices();
                b.AddAzureStorageQueues();
            })
            .ConfigureLogging(l => l.SetMinimumLevel(minimumLevel)
                // The SDK logs expected 404/409/412 answers (conditional writes, existence checks) as warnings.
                .AddFilter("Azure.Core", LogLevel.Error)
                // A failed attempt is logged once, in one line, by PoisonRecorder; the engine's own records of it
                // repeat the whole WebJobs and native stack at error level.
                .AddFilter("Function", LogLevel.None)
                .AddFilter("Host.Results", LogLevel.None)
                .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }))
            .ConfigureServices(s =>
            {
                EngineStorageClients.Register(s, settings.Storage.IsEmulator);
                ListenerFailures.Register(s);
                s.AddSingleton<ITypeLocator>(new FunctionTypes(typeof(PipelineFunctions)));
                var maxDequeueCount = HostJsonSettings.MaxDequeueCount(queueSettings);
                s.AddSslRecPipeline(settings, maxDequeueCount);
                s.AddHostedService(sp => new RunWatchdogLoop(sp.GetRequiredService<PipelineContext>()));
                if (trainer is not null)
                    s.AddHostedService(sp => new TrainWorkerLoop(
                        new TrainWorker(sp.GetRequiredService<PipelineContext>(), trainer, maxDequeueCount: maxDequeueCount),
                        sp.GetRequiredService<PipelineContext>(), HostJsonSettings.MaxPollingInterval(queueSettings)));
                configure?.Invoke(s);
            })
            .Build();
    }

    private sealed class FunctionTypes(params Type[] types) : ITypeLocator
    {
        public IReadOnlyList<Type> GetTypes() => types;
    }
}
