using System.Text.Json;
using System.Text.Json.Nodes;
using SslRec.Core.Options;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline;

namespace SslRec.Tests.Core;

/// <summary>
/// One descriptor per training option (<see cref="TrainingOptionDescriptors"/>) drives the CLI, retrain
/// overrides, <see cref="TrainingOptions.Validate"/>'s bounds and metrics.json's config.
/// </summary>
public class TrainingOptionDescriptorTests
{
    private static IReadOnlyList<OptionDescriptor> All => TrainingOptionDescriptors.All;

    [Fact]
    public void Every_property_is_described_once_with_help_and_names_no_other_option_has()
    {
        Assert.Equal(typeof(TrainingOptions).GetProperties().Length, All.Count);
        Assert.All(All, o => Assert.False(string.IsNullOrWhiteSpace(o.Help), o.Flag));
        var spellings = All.SelectMany(o => new[] { o.Property.Name, o.Name, o.JsonName }.Concat(o.Aliases).Distinct().Select(s => (Spelling: s, Option: o)));
        Assert.All(spellings, s => Assert.Same(s.Option, TrainingOptionDescriptors.Find(s.Spelling)));
    }

    /// <summary>The keys metrics.json had before every option was recorded: other code and readers use them.</summary>
    [Fact]
    public void Metrics_config_records_every_option_under_the_keys_it_always_had()
    {
        var config = TrainingOptionDescriptors.Recorded(new TrainingOptions());
        var legacy = new Dictionary<string, object>
        {
            ["ssl"] = "cfm", ["alpha"] = 0.1, ["tau"] = 0.05, ["ssl_tau"] = 0.1, ["seed"] = 1UL, ["epochs"] = 8, ["batch_size"] = 1024,
            ["ssl_batch_size"] = 1024, ["learning_rate"] = 0.003, ["optimizer"] = "adam", ["embedding_optimizer"] = "rowwiseadagrad",
            ["dropout"] = 0.2, ["spread_out"] = 0.0, ["embedding"] = "full", ["ssl_sampling"] = "uniform",
        };
        Assert.All(legacy, kv => Assert.Equal(kv.Value, config[kv.Key]));
        // and what it used to drop
        Assert.Equal([256], (int[])config["hidden"]);
        Assert.Equal((0.5, 1.0, 1_000_000, "straightthrough"), ((double)config["ssl_mix"], (double)config["dpq_temperature"], (int)config["shuffle_buffer"], (string)config["dpq_relaxation"]));
        Assert.Equal(All.Count, config.Count);
    }

    /// <summary>What metrics.json records, a retrain can ask for again: every recorded key is an override name, with the value as recorded.</summary>
    [Fact]
    public void A_recorded_config_read_back_as_retrain_overrides_gives_the_same_options()
    {
        var trained = new TrainingOptions
        {
            Ssl = SslMode.Rfm, Alpha = 0.3, Hidden = [128, 64], SslSampling = SslSampling.Mix, SslMix = 0.25, DropoutRate = 0.1, Seed = 9,
            Embedding = EmbeddingKind.Mgqe, DpqGroups = 4, MgqeCentroids = [64, 16], MgqeTierShares = [0.2], DpqRelaxation = DpqRelaxation.Softmax, MaxEvalQueries = 500,
            EmbeddingOptimizer = EmbeddingOptimizerKind.LazyAdam, EmbeddingLearningRate = 0.02,
        };
        var metricsJson = JsonNode.Parse(JsonSerializer.Serialize(TrainingOptionDescriptors.Recorded(trained)))!.AsObject();
        foreach (var notSettable in TrainingOptionDescriptors.All.Where(o => !o.RetrainCanSet)) metricsJson.Remove(notSettable.JsonName);

        var retrained = TrainingOverrides.Apply(new TrainingOptions(), metricsJson);
        Assert.Equal(trained.Fingerprint(), retrained.Fingerprint());
        Assert.Equal(trained.Epochs, retrained.Epochs);
        Assert.Equal(trained.MaxEvalQueries, retrained.MaxEvalQueries);
    }

    /// <summary>Each bound <see cref="TrainingOptions.Validate"/> checks is its option's descriptor's, refused naming the CLI flag.</summary>
    [Fact]
    public void Validate_refuses_a_value_just_outside_each_options_bounds_naming_its_flag()
    {
        foreach (var option in All.Where(o => o.Range is not null))
        {
            var range = option.Range!;
            var outside = range.MinExclusive ? range.Min : range.Min - 1;
            object value = option.ElementType == typeof(int) ? (int)outside : (object)outside;
            if (option.IsList)
            {
                var list = Array.CreateInstance(option.ElementType, 1);
                list.SetValue(value, 0);
                value = list;
            }
            var e = Assert.Throws<ArgumentException>(() => option.With(new TrainingOptions(), value).Validate());
            Assert.StartsWith($"{option.Flag} must be ", e.Message);
        }
    }

    /// <summary>
    /// The defaults as a checkpoint's fingerprint records them: a changed default would change the demo's
    /// Recall for the same seed and refuse every checkpoint written before.
    /// </summary>
    [Fact]
    public void The_defaults_are_unchanged()
    {
        Assert.Equal(
            """{"Ssl":1,"Alpha":0.1,"Tau":0.05,"SslTau":0.1,"BatchSize":1024,"SslBatchSize":1024,"Epochs":0,"LearningRate":0.003,"Optimizer":0,"EmbeddingOptimizer":2,"EmbeddingLearningRate":0,"EmbeddingDim":32,"Hidden":[256],"OutputDim":64,"DropoutRate":0.2,"SpreadOut":0,"SslSampling":0,"SslMix":0.5,"Seed":1,"CheckpointEvery":0,"Embedding":0,"DpqGroups":8,"DpqCentroids":256,"MgqeCentroids":[256,64,16],"MgqeTierShares":[0.1,0.3],"DpqRelaxation":0,"DpqTemperature":1,"ShuffleBuffer":1000000,"MaxEvalQueries":0}""",
            new TrainingOptions().Fingerprint());
        Assert.Equal((8, 200, 0), (new TrainingOptions().Epochs, new TrainingOptions().CheckpointEvery, new TrainingOptions().MaxSteps));
    }

    [Fact]
    public void A_retrain_may_evaluate_every_pair_under_a_deployment_that_caps_evaluation()
    {
        TrainingRequest Request(JsonObject? overrides) => new(null!, overrides, null!, CheckpointEvery: 50, "", _ => { }, MaxEvalQueries: 1_000_000);
        Assert.Equal((50, 1_000_000), (Request(null).RunOptions(new TrainingOptions()).CheckpointEvery, Request(null).RunOptions(new TrainingOptions()).MaxEvalQueries));
        Assert.Equal(0, Request(new JsonObject { ["max_eval_queries"] = 0 }).RunOptions(new TrainingOptions()).MaxEvalQueries);
        Assert.Equal(7, Request(null).RunOptions(new TrainingOptions { MaxSteps = 7 }).MaxSteps); // the worker's own limit survives
        Assert.Throws<ArgumentException>(() => Request(new JsonObject { ["checkpoint_every"] = 5 }).RunOptions(new TrainingOptions()));
    }

    [Theory]
    [InlineData(nameof(PipelineOptions.MaxEvalQueries), -1, "setting SslRec:Pipeline:MaxEvalQueries: --max-eval-queries must be 0..")]
    [InlineData(nameof(PipelineOptions.CheckpointEvery), -5, "setting SslRec:Pipeline:CheckpointEvery: --checkpoint-every must be 0..")]
    public void A_deployment_value_of_a_training_option_is_held_to_the_options_bounds(string setting, int value, string expected)
    {
        var options = setting == nameof(PipelineOptions.MaxEvalQueries) ? new PipelineOptions { MaxEvalQueries = value } : new PipelineOptions { CheckpointEvery = value };
        Assert.StartsWith(expected, Assert.Throws<InvalidOperationException>(options.Validate).Message);
        new PipelineOptions().Validate();
    }
}
