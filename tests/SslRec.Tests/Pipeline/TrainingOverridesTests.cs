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
    [InlineData("""{"alpha": -1}""", "--alpha must be in [0, 1,000] (weight of the SSL loss; the paper uses 0.1 to 3); got -1")]
    [InlineData("""{"checkpointEvery": 5}""", "training override 'checkpointEvery': not an option a retrain can set")]
    public void A_bad_override_is_refused_naming_the_field(string overrides, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => TrainingOverrides.Apply(new TrainingOptions(), JsonNode.Parse(overrides)!.AsObject()));
        Assert.Contains(expected, e.Message);
    }
}

public class OverrideSpellingAndBoundsTests
{
    [Theory]
    [InlineData("batch_size")]
    [InlineData("batch-size")]
    [InlineData("--batch-size")]
    [InlineData("BatchSize")]
    [InlineData("BATCH_SIZE")]
    public void The_cli_and_metrics_spellings_name_the_same_option(string name)
    {
        var o = TrainingOverrides.Apply(new TrainingOptions(), new JsonObject { [name] = 512 });
        Assert.Equal(512, o.BatchSize);
    }

    [Theory]
    [InlineData("lr", 0.01)]
    [InlineData("--lr", 0.01)]
    [InlineData("learning_rate", 0.01)]
    [InlineData("LearningRate", 0.01)]
    public void The_clis_short_names_work_too(string name, double value)
    {
        Assert.Equal(value, TrainingOverrides.Apply(new TrainingOptions(), new JsonObject { [name] = value }).LearningRate);
        Assert.Equal(0.4, TrainingOverrides.Apply(new TrainingOptions(), new JsonObject { ["dropout"] = 0.4 }).DropoutRate);
    }

    [Fact]
    public void Every_option_a_retrain_can_set_is_named_as_sslrec_train_names_it()
    {
        var train = SslRec.Cli.Program.Commands().Subcommands.Single(c => c.Name == "train");
        var flags = train.Options.Select(o => o.Name).ToHashSet();
        Assert.All(TrainingOverrides.Names, n => Assert.Contains("--" + n, flags));
    }

    [Theory] // what issue 24 saw enqueued, and the raw .NET error of NaN
    [InlineData("""{"epochs": 1000000000}""", "--epochs must be 1..10,000 (")]
    [InlineData("""{"epochs": "1e9"}""", "--epochs must be 1..10,000 (")]
    [InlineData("""{"epochs": 1e12}""", "--epochs must be 1..10,000 (")]
    [InlineData("""{"embedding_dim": 1000000}""", "--embedding-dim must be 1..4,096 (")]
    [InlineData("""{"output_dim": 1e6}""", "--output-dim must be 1..4,096 (")]
    [InlineData("""{"shuffle_buffer": 2e9}""", "--shuffle-buffer must be 2..100,000,000 (")]
    [InlineData("""{"learning_rate": "NaN"}""", "--lr must be in (0, 10] (a step size; larger ones diverge); got NaN")]
    [InlineData("""{"hidden": [256, 0]}""", "--hidden must be 1..16,384 (")]
    [InlineData("""{"batch_size": 512, "BatchSize": 256}""", "training override 'BatchSize': --batch-size is already set by 'batch_size'")]
    public void Absurd_values_are_refused_naming_the_option_its_range_and_why(string overrides, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => TrainingOverrides.Apply(new TrainingOptions(), JsonNode.Parse(overrides)!.AsObject()));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("hidden=256,128", "hidden", "[256,128]")]
    [InlineData("--batch-size=512", "batch_size", "512")]
    [InlineData("epochs=1e3", "epochs", "1000")]
    [InlineData("lr=0.01", "learning_rate", "0.01")]
    [InlineData("ssl=none", "ssl", "\"None\"")]
    [InlineData("seed=7", "seed", "7")]
    public void A_typed_assignment_becomes_typed_json_under_one_spelling(string text, string name, string json)
    {
        var (key, value) = TrainingOverrides.ParseAssignment(text);
        Assert.Equal((name, json), (key, value.ToJsonString()));
    }

    [Fact]
    public void Options_within_their_bounds_and_the_defaults_pass()
    {
        new TrainingOptions().Validate();
        new TrainingOptions { Epochs = 10_000, BatchSize = 65_536, EmbeddingDim = 4_096, OutputDim = 4_096, Hidden = [16_384], ShuffleBuffer = 100_000_000 }.Validate();
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

        await new RetrainStage(ctx, new DropStage(ctx)).HandleAsync(new RetrainMessage { RunSuffix = "x", Dataset = "bad", Overrides = JsonNode.Parse("""{"epochs": "many"}""")!.AsObject() });

        var run = await ctx.Runs.RequireAsync("bad@v1@retrain-x");
        Assert.Equal(RunState.Failed, run.State);
        Assert.Contains("training override 'epochs'", Assert.Single(run.Failures).Message);
        Assert.Equal(0, (await ctx.Bus.Queue(QueueNames.ShardMap).GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Theory]
    [InlineData("""{"embedding_dim": 1000000}""", "--embedding-dim must be 1..4,096")]
    [InlineData("""{"learning_rate": "NaN"}""", "--lr must be in (0, 10]")]
    [InlineData("""{"epochs": 1000000000}""", "--epochs must be 1..10,000")]
    [InlineData("\"epochs=4\"", "training overrides must be a JSON object of options and values")]
    public async Task A_hand_written_retrain_message_with_an_absurd_override_fails_its_run_at_the_first_attempt(string overrides, string expected)
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        SyntheticGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 200, Items = 20, Seed = 1 });
        await DatasetDrop.UploadAsync(ctx, dir.Path, "hand", "v1");
        await ctx.Bus.Queue(QueueNames.Drop).ClearMessagesAsync();

        // as `az storage message put` writes it: plain JSON, first delivery; completing without an exception means no retry
        var dispatcher = new StageDispatcher(ctx, new SslRec.Pipeline.Settings.FunctionSettings(MaxDequeueCount: 5));
        await dispatcher.DispatchAsync(QueueNames.Retrain, $$"""{"v":1,"run":"h","dataset":"hand","overrides":{{overrides}}}""", "m1", dequeueCount: 1, default);

        var run = await ctx.Runs.RequireAsync(DatasetNames.RetrainRunId("hand", "v1", "h"));
        Assert.Equal(RunState.Failed, run.State);
        Assert.Contains(expected, Assert.Single(run.Failures).Message);
        Assert.Equal(0, (await ctx.Bus.Queue(QueueNames.ShardMap).GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }
}
