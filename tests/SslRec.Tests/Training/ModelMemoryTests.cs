using SslRec.Core.Data;
using SslRec.Core.Options;
using SslRec.Core.Synthetic;
using SslRec.Training.Loop;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Tests.Training;

public class ModelMemoryTests
{
    private static readonly Lazy<(TempDirectory Dir, EncodedDataset Tied)> Links = new(() =>
    {
        var dir = new TempDirectory();
        LinkPredictionGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 2000, Items = 150, Seed = 3 });
        return (dir, DatasetEncoder.Read(dir.Path));
    });

    private static TrainingOptions Plain => TinyData.Options with { Ssl = SslMode.None }; // CFM would need the MI matrix

    public static TheoryData<string> Layouts => new() { "full", "dpq", "mgqe", "tied", "deep" };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void The_estimate_counts_exactly_the_weights_the_model_allocates(string layout)
    {
        var (data, options) = layout switch
        {
            "dpq" => (TinyData.Data, TinyData.Options with { Embedding = EmbeddingKind.Dpq, DpqCentroids = 16, DpqGroups = 4 }),
            "mgqe" => (TinyData.Data, TinyData.Options with { Embedding = EmbeddingKind.Mgqe, MgqeCentroids = [16, 8, 4], MgqeTierShares = [0.2, 0.3], DpqGroups = 4 }),
            "tied" => (Links.Value.Tied, TinyData.Options with { Ssl = SslMode.None }),
            "deep" => (TinyData.Data, TinyData.Options with { Hidden = [48, 24, 12], Optimizer = OptimizerKind.Adagrad }),
            _ => (TinyData.Data, TinyData.Options),
        };
        using var model = new TwoTowerModel(data, options);
        var allocated = model.parameters().Sum(p => p.numel());
        Assert.Equal(allocated, ModelMemory.Estimate(data, options).Parameters);
    }

    [Fact]
    public void A_model_that_cannot_fit_is_refused_before_anything_is_allocated_with_the_sizes_in_one_line()
    {
        var tooSmall = new AvailableMemory("cpu", 1 << 20, "test budget");
        var e = Assert.Throws<ModelTooLargeException>(() => new Trainer(TinyData.Data, Plain, CPU, availableMemory: tooSmall));
        Assert.StartsWith("the model cannot fit: training needs about ", e.Message);
        Assert.Contains("but 1 MiB is available (test budget)", e.Message);
        Assert.Contains("weights", e.Message);
        Assert.DoesNotContain('\n', e.Message);

        // the same model with room to spare trains
        using var trainer = new Trainer(TinyData.Data, Plain with { MaxSteps = 1 }, CPU, availableMemory: new AvailableMemory("cpu", 1L << 34, "test budget"));
        trainer.Train();
        Assert.Equal(1, trainer.State.Step);
    }

    [Fact]
    public void What_training_holds_grows_with_the_options_that_matter()
    {
        var small = ModelMemory.Estimate(TinyData.Data, TinyData.Options);
        Assert.True(ModelMemory.Estimate(TinyData.Data, TinyData.Options with { EmbeddingDim = 64 }).Parameters > small.Parameters);
        Assert.True(ModelMemory.Estimate(TinyData.Data, TinyData.Options with { BatchSize = 8192 }).ActivationBytes > 64 * small.ActivationBytes / 2);
        Assert.Equal(4, small.StateFactor); // Adam: weights, gradients, two moments
        Assert.Equal(3, ModelMemory.Estimate(TinyData.Data, TinyData.Options with { Optimizer = OptimizerKind.Adagrad }).StateFactor);
        // the whole data fits in one shuffle buffer here: the buffers hold it once, not the buffer size
        Assert.True(small.HostBytes <= TinyData.Data.Train.Count * (TinyData.Data.Schema.Query.Count + 2) * sizeof(int));
    }

    [Fact]
    public void A_step_count_beyond_int_is_refused_instead_of_overflowing()
    {
        // 2 billion examples in batches of 2 for 3 epochs: 3 billion steps (the parts are never loaded)
        var data = TinyData.Data;
        var huge = new EncodedDataset
        {
            Header = data.Header, Eval = data.Eval,
            Train = new ExampleParts([2_000_000_000], _ => throw new InvalidOperationException("not loaded")),
        };
        var e = Assert.Throws<ArgumentException>(() => new Trainer(huge, Plain with { BatchSize = 2, Epochs = 3 }, CPU));
        Assert.Contains("1,000,000,000 steps per epoch × 3 epochs = 3,000,000,000 steps, more than a training can count", e.Message);
    }

    [Fact]
    public void The_host_reports_available_memory_and_where_the_figure_comes_from()
    {
        var host = SslRec.Training.DeviceMemory.Host();
        Assert.NotNull(host);
        Assert.True(host.Bytes > 0);
        Assert.NotEmpty(host.Source);
    }
}
