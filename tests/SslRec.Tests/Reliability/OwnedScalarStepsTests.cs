using SslRec.Training.Loop;
using TorchSharp;
using static TorchSharp.torch;

namespace SslRec.Tests.Reliability;

/// <summary>
/// SslRec's optimizer step is TorchSharp's Adam/Adagrad step with owned Scalars: the same numbers, bit
/// for bit, and the same state (so checkpoints written before and after the change load either way).
/// </summary>
public class OwnedScalarStepsTests
{
    private static (nn.Module<Tensor, Tensor> Model, optim.Optimizer Optimizer) Make(string kind, double weightDecay)
    {
        manual_seed(3);
        var model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 2));
        optim.Optimizer optimizer = kind == "adam"
            ? optim.Adam(model.parameters(), lr: 0.01, weight_decay: weightDecay)
            : optim.Adagrad(model.parameters(), lr: 0.05, lr_decay: 0.01, weight_decay: weightDecay, initial_accumulator_value: 0.1);
        return (model, optimizer);
    }

    [Theory]
    [InlineData("adam", 0.0)]
    [InlineData("adam", 0.01)]
    [InlineData("adagrad", 0.0)]
    [InlineData("adagrad", 0.01)]
    public void The_owned_scalar_step_matches_torchsharps_step_bit_for_bit(string kind, double weightDecay)
    {
        var (reference, referenceOptimizer) = Make(kind, weightDecay);
        var (owned, ownedOptimizer) = Make(kind, weightDecay);
        manual_seed(4);
        for (var step = 0; step < 20; step++)
        {
            using var scope = NewDisposeScope();
            var x = randn(8, 6);
            foreach (var (model, optimizer) in new[] { (reference, referenceOptimizer), (owned, ownedOptimizer) })
            {
                optimizer.zero_grad();
                model.call(x).pow(2).sum().backward();
            }
            referenceOptimizer.step();
            OwnedScalarSteps.Step((TorchSharp.Modules.OptimizerHelper)ownedOptimizer);
        }
        foreach (var (a, b) in reference.parameters().Zip(owned.parameters()))
            Assert.True(a.eq(b).all().item<bool>(), "parameters differ");

        // Same state: what one saves, the other's format reads, and the saved bytes are identical.
        byte[] Save(optim.Optimizer o)
        {
            using var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) ((TorchSharp.Modules.OptimizerHelper)o).save_state_dict(writer);
            return stream.ToArray();
        }
        Assert.Equal(Save(referenceOptimizer), Save(ownedOptimizer));
    }
}
