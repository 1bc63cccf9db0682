using SslRec.Pipeline;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Stages;
using SslRec.Pipeline.Storage;
using SslRec.Tests.Pipeline;

namespace SslRec.Tests.Reliability;

/// <summary>
/// Errors that no retry can fix are found at the edge and end their run (or their message) at the first
/// attempt, instead of being retried to the poison queue or reaching the GPU after the whole data path.
/// </summary>
[Collection("azurite")]
public class EdgeChecksTests(AzuriteFixture azurite)
{
    private static QueueDelivery Delivery(string text) => new(text, Guid.NewGuid().ToString(), 1, DateTimeOffset.UtcNow);

    [Fact]
    public async Task A_dataset_with_one_item_feature_fails_at_the_drop_under_the_default_cfm_naming_the_fix()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        var data = dir.Sub("data");
        File.WriteAllText(Path.Combine(data, "schema.json"), """
            { "query": [ {"name": "user_id", "type": "categorical"} ],
              "item":  [ {"name": "item_id", "type": "categorical", "key": true} ] }
            """);
        File.WriteAllLines(Path.Combine(data, "interactions.csv"), ["user_id,item_id", .. Enumerable.Range(0, 200).Select(i => $"u{i % 17},i{i % 11}")]);
        var (_, _, runId) = await DatasetDrop.UploadAsync(ctx, data, "single");

        var drop = (await ctx.Bus.ReceivingQueue(QueueNames.Drop).ReceiveMessageAsync()).Value;
        await StageTable.Drop.MeasuredAsync(ctx, null, Delivery(QueueText.Decode(drop.Body.ToString())), default);

        var run = await ctx.Runs.RequireAsync(runId);
        Assert.Equal(RunState.Failed, run.State);
        var failure = Assert.Single(run.Failures);
        Assert.Equal(DropStage.Name, failure.Stage);
        Assert.Contains("ssl cfm masks half of the item features and needs at least two", failure.Message);
        Assert.Contains("ssl=fd", failure.Message);
        Assert.Null((await ctx.Bus.Queue(QueueNames.ShardMap).PeekMessageAsync()).Value); // no map task was planned
    }

    [Theory]
    [InlineData(QueueNames.Retrain, """{"v":1,"dataset":"nosuchdataset"}""", "has no complete version")]
    [InlineData(QueueNames.Publish, """{"v":7,"run":"shop.v1"}""", "unsupported message version 7")]
    [InlineData(QueueNames.ShardMap, "{not json", "not valid JSON")]
    public async Task A_message_no_attempt_can_handle_is_rejected_at_its_first_attempt(string queue, string message, string error)
    {
        var ctx = await azurite.FreshContextAsync();
        var dispatcher = new StageDispatcher(ctx, new SslRec.Pipeline.Settings.FunctionSettings(MaxDequeueCount: 5));

        await dispatcher.DispatchAsync(queue, message, "m-1", dequeueCount: 1, default); // completes: nothing to retry

        var rejected = Assert.Single(await PoisonRecorder.ListAsync(ctx));
        Assert.Equal(queue, rejected.Queue);
        Assert.Equal(1, rejected.DequeueCount);
        Assert.Contains(error, rejected.Error);
    }

    [Fact]
    public async Task A_rejected_message_quoting_a_huge_body_is_recorded_and_listed_in_a_capped_line()
    {
        var ctx = await azurite.FreshContextAsync();
        var dispatcher = new StageDispatcher(ctx, new SslRec.Pipeline.Settings.FunctionSettings(MaxDequeueCount: 5));
        // A publish request for a run with no record, on its last attempt: the error quotes the 700-character id twice.
        var huge = new string('x', 700);
        await Assert.ThrowsAsync<InvalidOperationException>(() => dispatcher.DispatchAsync(QueueNames.Publish, $$"""{"v":1,"run":"{{huge}}"}""", "m-2", dequeueCount: 5, default));

        var rejected = Assert.Single(await PoisonRecorder.ListAsync(ctx));
        Assert.True(rejected.Error.Length < PoisonRecorder.MaxLine + 100, $"{rejected.Error.Length} characters");
        Assert.Contains("more characters)", rejected.Error);
        Assert.True(SslRec.Cli.Commands.RunReport.Rejected(rejected).Length < PoisonRecorder.MaxLine + 200);
    }
}
