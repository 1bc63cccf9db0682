using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SslRec.Pipeline.Settings;

namespace SslRec.Pipeline;

/// <summary>The composition root the Functions app and the local WebJobs host share.</summary>
public static class PipelineServices
{
    /// <summary>
    /// Registers the <see cref="PipelineSettings"/> read from <paramref name="configuration"/> and the
    /// <see cref="PipelineContext"/> the stages use. Settings are read here, at start-up, so a missing or
    /// misspelt one stops the host with its name instead of failing every message.
    /// </summary>
    /// <param name="requireStorage">true in Azure: no storage setting is an error, not the local emulator</param>
    /// <param name="maxDequeueCount">the host's maxDequeueCount (host.json), which the functions need to record a last attempt's error</param>
    public static IServiceCollection AddSslRecPipeline(this IServiceCollection services, IConfiguration configuration, int maxDequeueCount, bool requireStorage = false)
        => services.AddSslRecPipeline(PipelineSettings.From(configuration, requireStorage), maxDequeueCount);

    /// <summary>The same registrations from settings already read (the local host, tests).</summary>
    public static IServiceCollection AddSslRecPipeline(this IServiceCollection services, PipelineSettings settings, int maxDequeueCount)
    {
        services.AddSingleton(settings);
        services.AddSingleton(new FunctionSettings(maxDequeueCount));
        services.AddSingleton(sp => PipelineContext.Create(settings, sp.GetService<ILoggerFactory>()?.CreateLogger("SslRec")));
        services.AddSingleton(sp => new Stages.StageDispatcher(sp.GetRequiredService<PipelineContext>(), sp.GetRequiredService<FunctionSettings>(), sp.GetService<IModelTrainer>()));
        return services;
    }
}
