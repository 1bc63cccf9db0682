using System.Text.Json.Nodes;
using SslRec.Core.Options;
using SslRec.Core.Synthetic;
using SslRec.Pipeline;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Stages;

namespace SslRec.Tests.Pipeline;

public class TrainingOverridesTests
{
    [Fact]
    public void Overrides_apply_by_option_name_in_any_case()
    {
        var o = TrainingOverrides.Apply(new TrainingOptions(), JsonNode.Parse("""{"alpha": 0.3, "SSL": "none", "epochs": 4, "embedding": "mgqe"}""")!.AsObject());
        Assert.Equal((0.3, SslMode.None, 4, EmbeddingKind.Mgqe), (o.Alpha, o.Ssl, o.Epochs, o.Embedding));
        var defaults = new TrainingOptions();
        Assert.Same(defaults, TrainingOverrides.Apply(defaults, null));
    }

    [Theory]
    [InlineData("""{"colour": 1}""", "training override 'colour': not an option a retrain can set")]
    [InlineData("""{"epochs": "many"}""", "training override 'epochs': \"many\" is not a valid whole number")]
    [InlineData("""{"ssl": "maybe"}""", "training override 'ssl': \"maybe\" is not a valid SslMode (none, cfm, rfm, fd)")]
    [InlineData("""{"alpha": -1}""", "--alpha must be ≥ 0")]
    [InlineData("""{"checkpointEvery": 5}""", "training override 'checkpointEvery': not an option a retrain can set")]
    public void A_bad_override_is_refused_naming_the_field(string overrides, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => TrainingOverrides.Apply(new TrainingOptions(), JsonNode.Parse(overrides)!.AsObject()));
        Assert.Contains(expected, e.Message);
    }
}

[Collection("azurite")]
public class RetrainOverridesTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_retrain_with_a_bad_override_fails_its_run_at_once_and_nothing_reaches_training()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        SyntheticGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 200, Items = 20, Seed = 1 });
        await DatasetDrop.UploadAsync(ctx, dir.Path, "bad", "v1");
        await ctx.Bus.Queue(QueueNames.Drop).ClearMessagesAsync();

        await new RetrainStage(ctx, new DropStage(ctx)).HandleAsync(new RetrainMessage { RunId = "x", Dataset = "bad", Overrides = JsonNode.Parse("""{"epochs": "many"}""")!.AsObject() });

        var run = await ctx.Runs.RequireAsync("bad@v1@retrain-x");
        Assert.Equal(RunState.Failed, run.State);
        Assert.Contains("training override 'epochs'", Assert.Single(run.Failures).Message);
        Assert.Equal(0, (await ctx.Bus.Queue(QueueNames.ShardMap).GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }
}
