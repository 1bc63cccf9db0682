using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace SslRec.LocalHost;

/// <summary>
/// Keeps a stage host running until cancelled: builds and starts it, runs <c>alongside</c> while it runs,
/// and when one of its queue listeners failed for good (<see cref="ListenerFailures"/>) builds a new one
/// after a pause instead of letting the process end.
/// </summary>
public static class HostSupervisor
{
    public static readonly TimeSpan RestartPause = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(Func<IHost> build, Func<CancellationToken, Task> alongside, Action<string> log, CancellationToken cancel)
    {
        while (!cancel.IsCancellationRequested)
        {
            using var host = build();
            var failures = host.Services.GetRequiredService<ListenerFailures>();
            await host.StartAsync(cancel);
            using var running = CancellationTokenSource.CreateLinkedTokenSource(cancel, host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
            try { await alongside(running.Token); }
            catch (OperationCanceledException) when (running.IsCancellationRequested) { }
            await host.StopAsync(CancellationToken.None);
            if (cancel.IsCancellationRequested || failures.Failure is null) return;
            log($"host: starting the stages again in {RestartPause.TotalSeconds:F0} s");
            try { await Task.Delay(RestartPause, cancel); }
            catch (OperationCanceledException) { return; }
        }
    }
}
