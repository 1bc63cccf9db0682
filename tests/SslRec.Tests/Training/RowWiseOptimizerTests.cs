using SslRec.Core.Options;
using SslRec.Training.Loop;
using static TorchSharp.torch;

namespace SslRec.Tests.Training;

/// <summary>
/// The row-wise updates against references computed here, independently, in double precision from the
/// textbook formulas: a 5-row table, three steps touching different rows.
/// </summary>
public class RowWiseOptimizerTests
{
    private const double Lr = 0.1, B1 = RowWiseOptimizer.Beta1, B2 = RowWiseOptimizer.Beta2;

    private static readonly double[,] Start = { { 0.5, -1 }, { 2, 0.25 }, { -0.75, 1.5 }, { 1, 1 }, { 0, -2 } };

    /// <summary>Step t touches these rows with these gradients (one gradient row per touched row).</summary>
    private static readonly (long[] Rows, double[,] Grad)[] Steps =
    [
        ([0, 2], new double[,] { { 0.3, -0.2 }, { 1.0, 0.5 } }),
        ([2, 3], new double[,] { { -0.4, 0.1 }, { 0.2, 0.2 } }),
        ([0], new double[,] { { 0.05, 0.6 } }),
    ];

    private static Tensor Table() => tensor(Start.Cast<double>().Select(x => (float)x).ToArray(), [5, 2]);

    private static Tensor Grad(double[,] g) => tensor(g.Cast<double>().Select(x => (float)x).ToArray(), [g.GetLength(0), 2]);

    private static void AssertClose(double[,] expected, Tensor actual, string what)
    {
        var a = actual.data<float>().ToArray();
        for (var r = 0; r < expected.GetLength(0); r++)
            for (var d = 0; d < 2; d++)
                Assert.True(Math.Abs(expected[r, d] - a[r * 2 + d]) < 1e-6, $"{what}[{r},{d}]: expected {expected[r, d]}, got {a[r * 2 + d]}");
    }

    [Fact]
    public void Lazy_adam_moves_only_touched_rows_with_their_moments_and_global_step_bias_correction()
    {
        // reference: w, m, v per element; only touched rows are updated, t is the global step count
        var w = (double[,])Start.Clone();
        var m = new double[5, 2];
        var v = new double[5, 2];
        using var table = Table();
        using var expAvg = zeros(5, 2);
        using var expAvgSq = zeros(5, 2);
        for (var t = 1; t <= Steps.Length; t++)
        {
            var (rows, g) = Steps[t - 1];
            for (var i = 0; i < rows.Length; i++)
                for (var d = 0; d < 2; d++)
                {
                    var r = rows[i];
                    m[r, d] = B1 * m[r, d] + (1 - B1) * g[i, d];
                    v[r, d] = B2 * v[r, d] + (1 - B2) * g[i, d] * g[i, d];
                    var mHat = m[r, d] / (1 - Math.Pow(B1, t));
                    var vHat = v[r, d] / (1 - Math.Pow(B2, t));
                    w[r, d] -= Lr * mHat / (Math.Sqrt(vHat) + RowWiseOptimizer.AdamEps);
                }
            using var ids = tensor(rows);
            using var gathered = table.index_select(0, ids);
            using var grad = Grad(g);
            OwnedScalarSteps.LazyAdamRows(table, ids, gathered, grad, expAvg, expAvgSq, t, Lr, B1, B2, RowWiseOptimizer.AdamEps);
        }
        AssertClose(w, table, "weights");
        AssertClose(m, expAvg, "first moments");
        AssertClose(v, expAvgSq, "second moments");
        // row 1 and 4 were never touched: exactly as they started, moments exactly zero
        foreach (var r in new[] { 1, 4 })
        {
            Assert.Equal([(float)Start[r, 0], (float)Start[r, 1]], table[r].data<float>().ToArray());
            Assert.Equal([0f, 0f], expAvg[r].data<float>().ToArray());
        }
        // row 3 was first touched at step 2: its one update is bias-corrected with t = 2, not 1 —
        // |Δw| = lr · (0.1 g / (1 − 0.9²)) / (√(0.001 g² / (1 − 0.999²)) + eps) ≈ 0.744 lr per element (with t = 1 it would be 1.0 lr)
        Assert.InRange(Start[3, 0] - table[3, 0].item<float>(), 0.0744, 0.0746);
    }

    [Fact]
    public void Rowwise_adagrad_keeps_one_accumulator_per_row_of_mean_squared_gradients()
    {
        var w = (double[,])Start.Clone();
        var sum = new double[5];
        using var table = Table();
        using var accumulators = zeros(5);
        foreach (var (rows, g) in Steps)
        {
            for (var i = 0; i < rows.Length; i++)
            {
                var r = rows[i];
                sum[r] += (g[i, 0] * g[i, 0] + g[i, 1] * g[i, 1]) / 2;
                for (var d = 0; d < 2; d++) w[r, d] -= Lr * g[i, d] / (Math.Sqrt(sum[r]) + RowWiseOptimizer.AdagradEps);
            }
            using var ids = tensor(rows);
            using var gathered = table.index_select(0, ids);
            using var grad = Grad(g);
            OwnedScalarSteps.RowwiseAdagradRows(table, ids, gathered, grad, accumulators, Lr, RowWiseOptimizer.AdagradEps);
        }
        AssertClose(w, table, "weights");
        var acc = accumulators.data<float>().ToArray();
        for (var r = 0; r < 5; r++) Assert.True(Math.Abs(sum[r] - acc[r]) < 1e-6, $"accumulator {r}: expected {sum[r]}, got {acc[r]}");
        Assert.Equal(0f, acc[1]);
        Assert.Equal([(float)Start[4, 0], (float)Start[4, 1]], table[4].data<float>().ToArray());
    }

    [Fact]
    public void Each_row_wise_optimizer_has_its_learning_rate_unless_one_is_given()
    {
        var o = new TrainingOptions { LearningRate = 0.002 };
        Assert.Equal(EmbeddingOptimizerKind.RowwiseAdagrad, o.EmbeddingOptimizer); // the default, chosen by bench/optimizers.sh
        Assert.Equal(0.01, RowWiseOptimizer.LearningRateOf(o));
        Assert.Equal(0.002, RowWiseOptimizer.LearningRateOf(o with { EmbeddingOptimizer = EmbeddingOptimizerKind.LazyAdam }));
        Assert.Equal(0.05, RowWiseOptimizer.LearningRateOf(o with { EmbeddingLearningRate = 0.05 }));
    }

    [Fact]
    public void Lazy_adam_on_rows_touched_every_step_is_dense_adam_bit_for_bit()
    {
        // when every row is in every step, lazy Adam and dense Adam are the same algorithm
        using var dense = nn.Parameter(Table());
        using var adam = optim.Adam([dense], lr: Lr);
        using var table = Table();
        using var expAvg = zeros(5, 2);
        using var expAvgSq = zeros(5, 2);
        using var all = arange(5L);
        manual_seed(7);
        for (var t = 1; t <= 5; t++)
        {
            using var scope = NewDisposeScope();
            var g = randn(5, 2);
            adam.zero_grad();
            dense.mul(g).sum().backward(); // gradient g
            OwnedScalarSteps.Step(adam);
            OwnedScalarSteps.LazyAdamRows(table, all, table.index_select(0, all), g, expAvg, expAvgSq, t, Lr, B1, B2, RowWiseOptimizer.AdamEps);
        }
        Assert.True(dense.detach().eq(table).all().item<bool>(), $"max difference {dense.detach().sub(table).abs().max().item<float>()}");
    }
}
