using SslRec.Training.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace SslRec.Tests.Training;

public class LossTests
{
    private static readonly double[,] Q = { { 0.6, 0.8 }, { -0.3, 0.9 }, { 1.0, 0.1 }, { 0.2, -0.5 } };
    private static readonly double[,] X = { { 0.5, 0.5 }, { 0.1, 1.0 }, { 0.9, -0.2 }, { 0.5, 0.5 } };
    private static readonly double[] LogQ = { -1.0, -2.5, -0.7, -1.0 };
    private static readonly long[] Ids = { 7, 3, 9, 7 };   // rows 0 and 3 hold the same item
    private const double Tau = 0.2;

    private static Tensor T(double[,] a, bool grad = false) =>
        tensor(a.Cast<double>().Select(v => (float)v).ToArray(), [a.GetLength(0), a.GetLength(1)], requires_grad: grad);

    /// <summary>Independent double-precision reference: logits, accidental-hit mask, log-softmax.</summary>
    private static (double Loss, double[,] GradQ) Reference(bool maskDuplicates)
    {
        int n = 4, d = 2;
        var loss = 0.0;
        var grad = new double[n, d];
        for (var i = 0; i < n; i++)
        {
            var logits = new double[n];
            var valid = new bool[n];
            for (var j = 0; j < n; j++)
            {
                valid[j] = !(maskDuplicates && j != i && Ids[j] == Ids[i]);
                logits[j] = (Q[i, 0] * X[j, 0] + Q[i, 1] * X[j, 1]) / Tau - LogQ[j];
            }
            var max = logits.Where((_, j) => valid[j]).Max();
            var z = Enumerable.Range(0, n).Where(j => valid[j]).Sum(j => Math.Exp(logits[j] - max));
            loss += -(logits[i] - max - Math.Log(z));
            for (var j = 0; j < n; j++)
            {
                var p = valid[j] ? Math.Exp(logits[j] - max) / z : 0;
                var g = (p - (i == j ? 1 : 0)) / n;      // d loss / d logit_ij
                for (var k = 0; k < d; k++) grad[i, k] += g * X[j, k] / Tau;
            }
        }
        return (loss / n, grad);
    }

    [Fact]
    public void Batch_softmax_with_logq_and_accidental_hits_matches_a_hand_computation()
    {
        using var scope = NewDisposeScope(); // owns the test's temporaries while libtorch reads them: other tests force collections (README, "Native memory safety")
        var q = T(Q, grad: true);
        var loss = RetrievalLosses.BatchSoftmax(q, T(X), tensor(LogQ.Select(v => (float)v).ToArray()), tensor(Ids), Tau);
        var (expected, expectedGrad) = Reference(maskDuplicates: true);
        Assert.Equal(expected, loss.item<float>(), 4);

        loss.backward();
        var grad = q.grad!.data<float>().ToArray();
        for (var i = 0; i < 4; i++)
            for (var k = 0; k < 2; k++)
                Assert.Equal(expectedGrad[i, k], grad[i * 2 + k], 4);

        // without accidental-hit removal the loss differs: the check above is not vacuous
        var unmasked = RetrievalLosses.BatchSoftmax(T(Q), T(X), tensor(LogQ.Select(v => (float)v).ToArray()), null, Tau);
        Assert.Equal(Reference(maskDuplicates: false).Loss, unmasked.item<float>(), 4);
        Assert.NotEqual(expected, Reference(maskDuplicates: false).Loss, 3);
    }

    [Fact]
    public void Logq_correction_raises_the_logit_of_rarely_sampled_negatives()
    {
        using var scope = NewDisposeScope(); // owns the test's temporaries while libtorch reads them: other tests force collections (README, "Native memory safety")
        // Same embeddings; the only difference is item 1's sampling probability.
        var q = T(new double[,] { { 1, 0 }, { 0, 1 } });
        var x = T(new double[,] { { 1, 0 }, { 0, 1 } });
        var rare = RetrievalLosses.BatchSoftmax(q, x, tensor(new[] { -1f, -5f }), null, 1.0).item<float>();
        var popular = RetrievalLosses.BatchSoftmax(q, x, tensor(new[] { -1f, -0.1f }), null, 1.0).item<float>();
        // s_c = s/τ − log P: a rare negative (log P = −5) gets +5, a popular one only +0.1, so it weighs more in the softmax
        Assert.True(rare > popular);
    }

    [Fact]
    public void InfoNce_matches_the_closed_form()
    {
        using var scope = NewDisposeScope(); // owns the test's temporaries while libtorch reads them: other tests force collections (README, "Native memory safety")
        // z1 = z2 = I, τ = 0.5: logits [[2, 0], [0, 2]] → loss = log(1 + e^-2)
        var z = T(new double[,] { { 1, 0 }, { 0, 1 } });
        var loss = RetrievalLosses.InfoNce(z, z, 0.5).item<float>();
        Assert.Equal(Math.Log(1 + Math.Exp(-2)), loss, 5);
        Assert.Equal(0.126928, loss, 5);

        // a duplicated item is not its own negative: with ids [4, 4] both rows keep only their positive → loss 0
        var dup = RetrievalLosses.InfoNce(z, z, 0.5, tensor(new long[] { 4, 4 })).item<float>();
        Assert.Equal(0, dup, 6);
    }

    [Fact]
    public void Spread_out_matches_the_global_orthogonal_regulariser()
    {
        using var scope = NewDisposeScope(); // owns the test's temporaries while libtorch reads them: other tests force collections (README, "Native memory safety")
        var s = Math.Sqrt(0.5);
        var x = T(new double[,] { { 1, 0 }, { 0, 1 }, { s, s } });
        // off-diagonal inner products: 0, 0, s, s, s, s → M1 = 4s/6, M2 = 4·0.5/6 = 1/3 < 1/d = 1/2
        var m1 = 4 * s / 6;
        Assert.Equal(m1 * m1, RetrievalLosses.SpreadOut(x).item<float>(), 5);
        Assert.Equal(2.0 / 9.0, RetrievalLosses.SpreadOut(x).item<float>(), 5);

        // all vectors equal: M1 = 1, M2 = 1 → 1 + (1 − 1/2)
        var same = T(new double[,] { { 1, 0 }, { 1, 0 }, { 1, 0 } });
        Assert.Equal(1.5, RetrievalLosses.SpreadOut(same).item<float>(), 5);
    }
}
