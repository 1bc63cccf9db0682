using System.Text.RegularExpressions;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline;
using SslRec.Pipeline.Storage;
using SslRec.Worker;

namespace SslRec.Tests.Pipeline;

/// <summary>
/// A worker that cannot take a message never raises its dequeue count, so in Azure every polling interval
/// starts another GPU execution that fails the same way: it must say in one line what it lacks. Azurite
/// answers 403 to a wrong account key as Azure answers 403 to an identity without the queue's data role.
/// </summary>
[Collection("azurite")]
public class TrainWorkerAccessTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_worker_refused_by_storage_says_in_one_line_which_queue_and_what_it_needs()
    {
        await azurite.FreshContextAsync();
        var wrongKey = Regex.Replace(azurite.Azurite.ConnectionString, "AccountKey=[^;]+", "AccountKey=" + Convert.ToBase64String(new byte[64]));
        var ctx = PipelineContext.Create(new StorageSettings { ConnectionString = wrongKey });

        var e = await Assert.ThrowsAsync<TrainWorkerAccessException>(() => new TrainWorker(ctx, new TorchModelTrainer(device: "cpu")).RunOnceAsync());

        Assert.DoesNotContain("\n", e.Message);
        Assert.Contains($"queue {QueueNames.Train}", e.Message);
        Assert.Contains("403", e.Message);
        Assert.Contains("Get Messages", e.Message);
        Assert.Contains("AzureWebJobsStorage__clientId", e.Message);
    }
}
