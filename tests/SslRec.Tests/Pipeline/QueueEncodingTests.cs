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
        var raw = new QueueClient(azurite.Azurite.ConnectionString, QueueNames.Train, new QueueClientOptions(SslRec.Pipeline.Storage.StorageSettings.EmulatorQueueVersion));
        var text = (await raw.ReceiveMessageAsync()).Value.Body.ToString();
        Assert.Equal(message.ToJson(), Encoding.UTF8.GetString(Convert.FromBase64String(text)));
    }
}
