using System.Runtime.ExceptionServices;
using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Host.Timers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SslRec.LocalHost;

/// <summary>
/// What happens when a queue listener of the WebJobs engine fails for good (storage unreachable for longer
/// than its clients retry): the engine's default handler rethrows on a new thread, which ended the whole
/// `sslrec host` process. Here the failure is one log line and a stop of this host; <see cref="HostSupervisor"/>
/// builds a new one (the Functions host likewise restarts itself). Function timeouts keep the default handling.
/// </summary>
internal sealed class ListenerFailures : IWebJobsExceptionHandlerFactory
{
    /// <summary>The failure that stopped the host, if one did (read by the supervisor after the host stops).</summary>
    public Exception? Failure { get; private set; }

    public static void Register(IServiceCollection services)
    {
        services.AddSingleton<ListenerFailures>();
        services.AddSingleton<IWebJobsExceptionHandlerFactory>(sp => sp.GetRequiredService<ListenerFailures>());
    }

    public IWebJobsExceptionHandler Create(IHost jobHost) => new Handler(this, new WebJobsExceptionHandler(jobHost), jobHost.Services);

    private sealed class Handler(ListenerFailures owner, IWebJobsExceptionHandler inner, IServiceProvider services) : IWebJobsExceptionHandler
    {
        public Task OnTimeoutExceptionAsync(ExceptionDispatchInfo exceptionInfo, TimeSpan timeoutGracePeriod) =>
            inner.OnTimeoutExceptionAsync(exceptionInfo, timeoutGracePeriod);

        public Task OnUnhandledExceptionAsync(ExceptionDispatchInfo exceptionInfo)
        {
            var e = exceptionInfo.SourceException;
            owner.Failure ??= e;
            services.GetService<ILoggerFactory>()?.CreateLogger("SslRec").LogError(
                "host: a queue listener stopped ({Error}); restarting the stages", $"{e.GetType().Name}: {e.Message.Split('\n', 2)[0].Trim()}");
            services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
            return Task.CompletedTask;
        }
    }
}
