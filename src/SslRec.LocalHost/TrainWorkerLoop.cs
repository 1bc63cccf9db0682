using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SslRec.Pipeline;

namespace SslRec.LocalHost;

/// <summary>
/// The local host's training: the same <see cref="TrainWorker"/> as `sslrec train-worker` and the GPU job,
/// in a loop, one message at a time. Not a WebJobs queue trigger: the engine keeps a running function's
/// message invisible for 10 minutes (fixed in its queue listener), so a killed host left its training run
/// waiting that long; the worker's one-minute renewals let another process resume it within a minute.
/// </summary>
internal sealed class TrainWorkerLoop(TrainWorker worker, PipelineContext ctx, TimeSpan idlePoll) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // After a hand-over the continuation is already waiting: take it at once.
                if (await worker.RunOnceAsync(stoppingToken) == TrainWorker.Outcome.NoMessage) await Task.Delay(idlePoll, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Lost the message (RenewalFailedException) or storage is unreachable: the message comes back; keep polling.
                ctx.Logger.LogError("train: {Error}; polling again", e.Message.Split('\n', 2)[0]);
                try { await Task.Delay(idlePoll, stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }
}
