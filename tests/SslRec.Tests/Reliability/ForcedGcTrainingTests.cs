using SslRec.Core.Options;
using SslRec.Core.Statistics;
using SslRec.Tests.Training;
using SslRec.Training;
using SslRec.Training.Diagnostics;
using SslRec.Training.Evaluation;
using SslRec.Training.Loop;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Tests.Reliability;

/// <summary>Training under <see cref="GcPressure"/>: before Scalars were owned, 2 of 6 small `sslrec train` runs and 53–89 of 150 stress steps failed inside libtorch.</summary>
public class ForcedGcTrainingTests
{
    private static double[,] Mi => MutualInformation.Compute(TinyData.Data.Items, TinyData.Data.ItemTrainCounts);

    public static TheoryData<string> Configurations => new() { "cfm", "none", "dpq-cfm", "mgqe-spread-adagrad" };

    private static TrainingOptions Options(string configuration) => configuration switch
    {
        "cfm" => TinyData.Options,
        "none" => TinyData.Options with { Ssl = SslMode.None, EmbeddingOptimizer = EmbeddingOptimizerKind.Dense }, // the dense path too
        "dpq-cfm" => TinyData.Options with { Embedding = EmbeddingKind.Dpq, DpqGroups = 2, DpqCentroids = 16, EmbeddingOptimizer = EmbeddingOptimizerKind.LazyAdam },
        "mgqe-spread-adagrad" => TinyData.Options with
        {
            Embedding = EmbeddingKind.Mgqe, DpqGroups = 2, DpqCentroids = 16, SpreadOut = 0.1, Optimizer = OptimizerKind.Adagrad,
            EmbeddingOptimizer = EmbeddingOptimizerKind.RowwiseAdagrad,
            DpqRelaxation = DpqRelaxation.Softmax,
        },
        _ => throw new ArgumentException(configuration),
    };

    /// <summary>
    /// 600 training steps per configuration under forced collections (2,400 in all, plus evaluation and
    /// export paths): no native error, and the very same losses as without the collector thread.
    /// `bash bench/gc-stress.sh` runs the same for longer.
    /// </summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public void Training_under_forced_garbage_collection_fails_never_and_changes_nothing(string configuration)
    {
        var options = Options(configuration) with { Epochs = 1000, MaxSteps = 600, CheckpointEvery = 0 };
        (double[] Losses, string Recall) Run(bool pressure)
        {
            using var gc = pressure ? new GcPressure() : null;
            using var trainer = new Trainer(TinyData.Data, options, CPU, Mi);
            trainer.TrainSteps(600);
            using var items = Embeddings.Encode(trainer.Model.ItemTower, TinyData.Data.Items, CPU);
            var metrics = TrainJob.Evaluate(trainer, TinyData.Data, items, CPU);
            if (pressure) Assert.True(gc!.Collections > 50, $"only {gc.Collections} forced collections ran");
            return (trainer.State.Losses.Select(l => l.Total).ToArray(), System.Text.Json.JsonSerializer.Serialize(metrics.Recall));
        }
        var calm = Run(pressure: false);
        var stressed = Run(pressure: true);
        Assert.Equal(calm.Losses, stressed.Losses);
        Assert.Equal(calm.Recall, stressed.Recall);
    }
}
