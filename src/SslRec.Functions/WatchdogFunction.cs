using Microsoft.Azure.Functions.Worker;
using SslRec.Pipeline;
using SslRec.Pipeline.Stages;

namespace SslRec.Functions;

/// <summary>
/// The run watchdog (<see cref="RunWatchdog"/>) every 15 seconds: re-drives runs whose stage stopped with
/// nothing working on it (an instance that died mid-message leaves that message hidden for 10 minutes).
/// The Functions host runs a timer trigger on one instance at a time (a blob lease in AzureWebJobsStorage).
/// </summary>
public sealed class WatchdogFunction(PipelineContext ctx)
{
    /// <summary>NCRONTAB with seconds: every 15 s (<see cref="RunWatchdog.Interval"/>).</summary>
    public const string Schedule = "*/15 * * * * *";

    [Function(RunWatchdog.Name)]
    public Task Run([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken ct) => new RunWatchdog(ctx).CheckAsync(ct); // it logs what it does
}
