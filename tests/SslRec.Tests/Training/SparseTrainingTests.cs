using SslRec.Core.Data;
using SslRec.Core.Options;
using SslRec.Core.Statistics;
using SslRec.Core.Synthetic;
using SslRec.Training.Loop;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Tests.Training;

/// <summary>Training with row-wise embedding updates: what a step reads and writes, for every kind of table.</summary>
public class SparseTrainingTests
{
    private static double[,] Mi => MutualInformation.Compute(TinyData.Data.Items, TinyData.Data.ItemTrainCounts);

    private static readonly Lazy<(TempDirectory Dir, EncodedDataset Data)> Links = new(() =>
    {
        var dir = new TempDirectory();
        LinkPredictionGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 3000, Items = 300, Seed = 4 });
        return (dir, DatasetEncoder.Read(dir.Path));
    });

    public static TheoryData<string, EmbeddingOptimizerKind> Cases => new()
    {
        { "full", EmbeddingOptimizerKind.LazyAdam }, { "full", EmbeddingOptimizerKind.RowwiseAdagrad },
        { "dpq", EmbeddingOptimizerKind.LazyAdam }, { "mgqe", EmbeddingOptimizerKind.RowwiseAdagrad },
        { "tied", EmbeddingOptimizerKind.LazyAdam },
    };

    private static (EncodedDataset Data, TrainingOptions Options) Setup(string tables, EmbeddingOptimizerKind kind)
    {
        var o = TinyData.Options with { EmbeddingOptimizer = kind, SpreadOut = 0.1, Epochs = 50 };
        return tables switch
        {
            "dpq" => (TinyData.Data, o with { Embedding = EmbeddingKind.Dpq, DpqGroups = 2, DpqCentroids = 16 }),
            "mgqe" => (TinyData.Data, o with { Embedding = EmbeddingKind.Mgqe, DpqGroups = 2, DpqCentroids = 16 }),
            "tied" => (Links.Value.Data, o with { Ssl = SslMode.Rfm }),
            _ => (TinyData.Data, o),
        };
    }

    /// <summary>Rows of a [V × D] (or [V]) tensor that differ between two snapshots.</summary>
    private static bool[] Changed(Tensor before, Tensor after)
    {
        using var diff = before.ne(after);
        using var any = diff.dim() == 1 ? diff.clone() : diff.any(1);
        return any.data<bool>().ToArray();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_step_moves_only_the_rows_it_touched_and_only_their_optimizer_state(string tables, EmbeddingOptimizerKind kind)
    {
        var (data, options) = Setup(tables, kind);
        using var trainer = new Trainer(data, options, CPU, MutualInformation.Compute(data.Items, data.ItemTrainCounts));
        var sparse = trainer.SparseTables!;
        if (tables == "tied") Assert.Same(sparse.For(trainer.Model.QueryTower)[0], sparse.For(trainer.Model.ItemTower)[0]); // src_page ↔ page: one table
        trainer.TrainSteps(3);
        var weights = sparse.Tables.Select(t => t.Weight.detach().clone()).ToList();
        var states = sparse.Tables.Select(t => trainer.RowWise!.State(t).Select(s => s.clone()).ToList()).ToList();

        trainer.TrainSteps(1);

        var someUntouched = false;
        for (var i = 0; i < sparse.Tables.Count; i++)
        {
            var table = sparse.Tables[i];
            var moved = Changed(weights[i], table.Weight.detach());
            // every state tensor of the table (both moments, or the accumulator) changed exactly where the row moved
            foreach (var (before, after) in states[i].Zip(trainer.RowWise!.State(table)))
                Assert.Equal(moved, Changed(before, after));
            Assert.Contains(true, moved);
            someUntouched |= moved.Contains(false);
        }
        // the largest tables (user ids, pages) have rows that this step's batches did not touch
        Assert.True(someUntouched, "every row of every table moved");
        foreach (var t in weights.Concat(states.SelectMany(s => s))) t.Dispose();
    }

    /// <summary>
    /// The gathered rows compute what the full tables compute: the first step's loss is the same, and after
    /// one step — when dense Adam moves a row without gradient by exactly 0 (both moments are 0) — every
    /// parameter of the model is the same too, so the gathered path's gradients are the tables' gradients.
    /// </summary>
    [Theory]
    [InlineData("full")]
    [InlineData("dpq")]
    [InlineData("tied")]
    public void One_lazy_adam_step_equals_one_dense_adam_step(string tables)
    {
        var (data, options) = Setup(tables, EmbeddingOptimizerKind.LazyAdam);
        var mi = MutualInformation.Compute(data.Items, data.ItemTrainCounts);
        using var lazy = new Trainer(data, options, CPU, mi);
        using var dense = new Trainer(data, options with { EmbeddingOptimizer = EmbeddingOptimizerKind.Dense }, CPU, mi);
        lazy.TrainSteps(1);
        dense.TrainSteps(1);
        Assert.Equal(dense.State.Losses[0].Total, lazy.State.Losses[0].Total, 5);
        // Adam's first step moves a row by lr·g/(|g|+ε) ≈ ±lr; for a gradient near ε that ratio turns on the last
        // bits of g, which the gathered path sums in another order. 1% of a step allows that and still fails on a
        // wrong or missing gradient (a row that should move by ±lr and does not, or moves the other way).
        var atol = options.LearningRate / 100;
        foreach (var ((name, a), (_, b)) in dense.Model.named_parameters().Zip(lazy.Model.named_parameters()))
            Assert.True(a.allclose(b, rtol: 0, atol: atol), $"{name}: max difference {a.sub(b).abs().max().item<float>()}");
        // a second step differs: dense Adam's momentum moves rows the second batch did not touch
        lazy.TrainSteps(1);
        dense.TrainSteps(1);
        var user = dense.Model.named_parameters().First(p => p.name.Contains("embeddings.0."));
        Assert.False(user.parameter.allclose(lazy.Model.named_parameters().First(p => p.name == user.name).parameter, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void Tower_layers_and_codebooks_stay_with_the_dense_optimizer_and_tables_leave_it()
    {
        using var trainer = new Trainer(TinyData.Data, TinyData.Options with { Embedding = EmbeddingKind.Dpq, DpqGroups = 2, DpqCentroids = 16 }, CPU, Mi);
        var names = trainer.SparseTables!.Names;
        var all = trainer.Model.named_parameters().Select(p => p.name).ToList();
        Assert.Contains(all, n => n.EndsWith(".query", StringComparison.Ordinal) && names.Contains(n));   // DPQ per-id queries: row-wise
        Assert.DoesNotContain(names, n => n.EndsWith(".keys", StringComparison.Ordinal) || n.EndsWith(".values", StringComparison.Ordinal) || n.Contains("mlp"));
        Assert.Equal(trainer.Model.QueryTower.FeatureCount + trainer.Model.ItemTower.FeatureCount, names.Count);
        using var before = trainer.Model.named_parameters().Where(p => p.name.EndsWith(".keys", StringComparison.Ordinal)).First().parameter.detach().clone();
        trainer.TrainSteps(1);
        using var after = trainer.Model.named_parameters().Where(p => p.name.EndsWith(".keys", StringComparison.Ordinal)).First().parameter.detach();
        Assert.False(before.eq(after).all().item<bool>(), "the codebook did not move");
    }

    [Fact]
    public void Optimizer_state_is_two_moments_per_row_for_lazy_adam_and_one_float_per_row_for_rowwise_adagrad()
    {
        long Bytes(EmbeddingOptimizerKind kind)
        {
            using var trainer = new Trainer(TinyData.Data, TinyData.Options with { EmbeddingOptimizer = kind }, CPU, Mi);
            return trainer.RowWise!.StateBytes;
        }
        var rows = TinyData.Data.Vocabularies.Sum(v => (long)v.Size);
        Assert.Equal(rows * 2 * TinyData.Options.EmbeddingDim * sizeof(float), Bytes(EmbeddingOptimizerKind.LazyAdam));
        Assert.Equal(rows * sizeof(float), Bytes(EmbeddingOptimizerKind.RowwiseAdagrad));
    }
}
