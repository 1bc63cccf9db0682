using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SslRec.Pipeline;
using SslRec.Pipeline.Stages;

namespace SslRec.LocalHost;

/// <summary>The local host's run watchdog (the Functions app runs it as a timer function): one pass every <see cref="RunWatchdog.Interval"/>.</summary>
internal sealed class RunWatchdogLoop(PipelineContext ctx) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var watchdog = new RunWatchdog(ctx);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await watchdog.CheckAsync(stoppingToken); // it logs what it does
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Storage down (logged once by StorageOutageLog) or a run record it cannot read: try again next pass.
                ctx.Logger.LogDebug("watchdog: pass failed: {Error}", e.Message.Split('\n', 2)[0]);
            }
            try { await Task.Delay(RunWatchdog.Interval, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }
}
