using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Queues;
using SslRec.Core.Synthetic;
using SslRec.LocalHost;
using SslRec.Pipeline;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;
using SslRec.Worker;

namespace SslRec.Tests.Pipeline;

/// <summary>
/// Failure injection (it fakes two things, and says so): the training message's visibility renewal is made
/// to fail by a pipeline policy that sends UpdateMessage with a stale pop receipt (Azurite answers with an
/// error, as Azure answers 403 to an identity without messages/write) or that fails it as a token request
/// fails (not a storage error: a renewal loop that caught only those once ended quietly), and the trainer is a stand-in that
/// trains until it is cancelled. The worker must stop training and fail loudly, not swallow the error and
/// let a second execution train the same run.
/// </summary>
[Collection("azurite")]
public class TrainWorkerRenewalTests(AzuriteFixture azurite)
{
    private sealed class StalePopReceipt : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            var uri = message.Request.Uri.ToString();
            if (message.Request.Method == RequestMethod.Put && uri.Contains("popreceipt=", StringComparison.OrdinalIgnoreCase))
                message.Request.Uri.Reset(new Uri(System.Text.RegularExpressions.Regex.Replace(uri, "popreceipt=[^&]*", "popreceipt=AAAAAAAAAAAAAAAAAAAAAA%3D%3D")));
        }
    }

    /// <summary>Every Update Message fails before it is sent, as a managed-identity token request that fails does.</summary>
    private sealed class NoToken : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.Request.Method == RequestMethod.Put && message.Request.Uri.ToString().Contains("popreceipt=", StringComparison.OrdinalIgnoreCase))
                throw new Azure.Identity.AuthenticationFailedException("failure injection: ManagedIdentityCredential authentication failed");
        }
    }

    private sealed class TrainsUntilCancelled : IModelTrainer
    {
        public readonly TaskCompletionSource Cancelled = new();

        public TrainingOutcome Train(TrainingRequest request, CancellationToken ct)
        {
            ct.Register(() => Cancelled.TrySetResult());
            Task.Delay(TimeSpan.FromMinutes(2), ct).GetAwaiter().GetResult();
            throw new InvalidOperationException("the stand-in trainer was not cancelled");
        }
    }

    [Theory]
    [InlineData("stale pop receipt")]
    [InlineData("no token")]
    public async Task A_failed_visibility_renewal_stops_training_and_fails_the_worker_loudly(string failure)
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        await azurite.DropUntilTrainingAsync(ctx, dir, "renew", new SyntheticOptions { Interactions = 300, Items = 20, Seed = 4 });

        var options = new QueueClientOptions(StorageSettings.EmulatorQueueVersion) { MessageEncoding = QueueMessageEncoding.Base64 };
        options.AddPolicy(failure == "no token" ? new NoToken() : new StalePopReceipt(), HttpPipelinePosition.PerCall);
        var sabotaged = new PipelineContext(ctx.Blobs, new MessageBus(new QueueServiceClient(azurite.Azurite.ConnectionString, options)));
        var trainer = new TrainsUntilCancelled();
        var worker = new TrainWorker(sabotaged, trainer, visibility: TimeSpan.FromSeconds(2));

        var e = await Assert.ThrowsAsync<RenewalFailedException>(() => worker.RunOnceAsync());
        Assert.True(trainer.Cancelled.Task.IsCompleted, "training was stopped");
        Assert.Contains("could not keep training message", e.Message);
        Assert.Contains("training stopped", e.Message);
        Assert.DoesNotContain("\n", e.Message);
        if (failure == "no token") Assert.Contains("AuthenticationFailedException", e.Message);

        // The message was not deleted: it comes back for the next execution, which resumes from checkpoints.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var again = (await ctx.Bus.Queue(QueueNames.Train).ReceiveMessageAsync()).Value;
        Assert.NotNull(again);
        Assert.Equal(2, again.DequeueCount);
    }
}
