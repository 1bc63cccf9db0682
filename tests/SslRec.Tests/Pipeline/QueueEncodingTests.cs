using System.Text;
using Azure.Storage.Queues;
using SslRec.Pipeline;
using SslRec.Pipeline.Messages;

namespace SslRec.Tests.Pipeline;

[Collection("azurite")]
public class QueueEncodingTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Messages_go_on_the_queue_base64_encoded_as_functions_queue_triggers_expect()
    {
        var ctx = await azurite.FreshContextAsync();
        var message = new TrainMessage { RunId = "shop.v1" };
        await ctx.Bus.SendAsync(QueueNames.Train, message);
        // A client without the base64 setting sees the raw queue text, as the Functions host does.
        var raw = new QueueClient(azurite.Azurite.ConnectionString, QueueNames.Train, new QueueClientOptions(SslRec.Pipeline.Settings.StorageSettings.EmulatorQueueVersion));
        var text = (await raw.ReceiveMessageAsync()).Value.Body.ToString();
        Assert.Equal(message.ToJson(), Encoding.UTF8.GetString(Convert.FromBase64String(text)));
    }
}

/// <summary>
/// A training message written by hand (`az storage message put`, the portal) is plain JSON, not base64: the
/// train worker handles it like any other, and a message it cannot read at all ends as a rejected entry
/// after the attempt threshold instead of crashing the worker before it could count the attempt.
/// </summary>
[Collection("azurite")]
public class HandWrittenTrainMessageTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_plain_json_training_message_is_trained()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        var runId = await azurite.DropUntilTrainingAsync(ctx, dir, "byhand", new SslRec.Core.Synthetic.SyntheticOptions { Interactions = 300, Items = 20, Seed = 4 });
        await ctx.Bus.Queue(QueueNames.Train).ClearMessagesAsync();
        var raw = new QueueClient(azurite.Azurite.ConnectionString, QueueNames.Train, new QueueClientOptions(SslRec.Pipeline.Settings.StorageSettings.EmulatorQueueVersion));
        await raw.SendMessageAsync($$"""{"v":1,"run":"{{runId}}"}""");

        var trainer = new SslRec.Worker.TorchModelTrainer(SslRec.Tests.Training.TinyData.Options with { Epochs = 1 }, "cpu");
        Assert.Equal(TrainWorker.Outcome.Completed, await new TrainWorker(ctx, trainer).RunOnceAsync());
        Assert.Equal(SslRec.Pipeline.Runs.RunState.Evaluated, (await ctx.Runs.RequireAsync(runId)).State);
    }

    [Fact]
    public async Task An_unreadable_training_message_is_rejected_at_its_first_delivery_not_crashed_on_or_retried_on_a_gpu()
    {
        var ctx = await azurite.FreshContextAsync();
        var raw = new QueueClient(azurite.Azurite.ConnectionString, QueueNames.Train, new QueueClientOptions(SslRec.Pipeline.Settings.StorageSettings.EmulatorQueueVersion));
        await raw.SendMessageAsync("train run shop.v1 please");

        var worker = new TrainWorker(ctx, new SslRec.Worker.TorchModelTrainer(device: "cpu"), TimeSpan.FromSeconds(1));
        Assert.Equal(TrainWorker.Outcome.Rejected, await worker.RunOnceAsync());
        Assert.Equal(1, worker.LastDequeueCount);

        var rejected = Assert.Single(await PoisonRecorder.ListAsync(ctx));
        Assert.Equal(QueueNames.Train, rejected.Queue);
        Assert.Contains("not valid JSON", rejected.Error);
        Assert.Equal("train run shop.v1 please", rejected.Message);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(TrainWorker.Outcome.NoMessage, await worker.RunOnceAsync()); // completed, not left to come back
    }
}
