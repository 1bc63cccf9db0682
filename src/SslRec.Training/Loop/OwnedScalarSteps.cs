using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SslRec.Training.Loop;

/// <summary>
/// The parameter update of TorchSharp's Adam and Adagrad, with the same arithmetic in the same order, but
/// with every Scalar owned and kept alive across the native call. TorchSharp 0.107's own step() creates
/// 8 (Adam) or 4 (Adagrad) temporary Scalars per parameter per step that a GC on another thread may
/// finalize while libtorch reads them (upstream PRs #1434 and #1496, not released). The optimizer objects
/// stay TorchSharp's: they hold the state (step, moments, sums) that this updates in place, and they save
/// and load it, so checkpoints keep their format.
///
/// Guarded three ways: TorchSharp's step() and every other call that makes a temporary Scalar is a build
/// error (src/BannedSymbols.TorchSharp.txt); OwnedScalarStepsTests checks this against TorchSharp's step bit
/// for bit; and BannedTorchSymbolsTests fails when the TorchSharp version changes, so this copy is compared
/// with the new Adam/Adagrad code before anything trains with it. When TorchSharp keeps its Scalars alive
/// across native calls (the PRs above, released), this class and the banned list can go — the list's
/// header says how.
/// </summary>
public static partial class OwnedScalarSteps
{
    public static void Step(OptimizerHelper optimizer)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var states = optimizer.state_dict().State;
        var at = 0;
        foreach (var group in optimizer.ParamGroups.Cast<ParamGroup>())
            foreach (var param in group.Parameters)
            {
                var state = states[at++];
                using var grad = param.grad;
                if (grad is null) continue;
                switch (optimizer)
                {
                    case Adam:
                        AdamUpdate(param, grad, (Adam.State)state, (Adam.Options)group.Options);
                        break;
                    case Adagrad:
                        AdagradUpdate(param, grad, (Adagrad.State)state, (Adagrad.Options)group.Options);
                        break;
                    default:
                        throw new NotSupportedException($"{optimizer.GetType().Name}: SslRec steps only Adam and Adagrad");
                }
            }
    }

    private static void AdamUpdate(Parameter param, Tensor grad, Adam.State state, Adam.Options o)
    {
        if (o.amsgrad == true || o.maximize == true) throw new NotSupportedException("Adam with amsgrad or maximize");
        var (beta1, beta2, eps, lr, weightDecay) = (o.beta1!.Value, o.beta2!.Value, o.eps!.Value, o.LearningRate!.Value, o.weight_decay ?? 0);
        state.step += 1;
        var biasCorrection1 = 1 - Math.Pow(beta1, state.step);
        var biasCorrection2 = 1 - Math.Pow(beta2, state.step);
        if (weightDecay != 0) grad = grad.add(param, TorchScalars.Of(weightDecay));

        state.exp_avg.mul_(TorchScalars.Of(beta1)).add_(grad, TorchScalars.Of(1 - beta1));
        state.exp_avg_sq.mul_(TorchScalars.Of(beta2)).addcmul_(grad, grad, TorchScalars.Of(1 - beta2));
        // These two change every step: owned by `using` until the calls that read them have returned.
#pragma warning disable RS0030 // owned: disposed by `using` after the native calls that read them
        using var sqrtBiasCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
        using var stepSize = (-(lr / biasCorrection1)).ToScalar();
#pragma warning restore RS0030
        var denominator = state.exp_avg_sq.sqrt().div_(sqrtBiasCorrection2).add_(TorchScalars.Of(eps), TorchScalars.One);
        param.addcdiv_(state.exp_avg, denominator, stepSize);
    }

    private static void AdagradUpdate(Parameter param, Tensor grad, Adagrad.State state, Adagrad.Options o)
    {
        var (lr, lrDecay, eps, weightDecay) = (o.LearningRate!.Value, o.lr_decay ?? 0, o.eps!.Value, o.weight_decay ?? 0);
        state.step += 1;
        if (weightDecay != 0) grad = grad.add(param, TorchScalars.Of(weightDecay));
#pragma warning disable RS0030 // owned: disposed by `using` after the native call that reads it
        using var stepSize = (-(lr / (1 + (state.step - 1) * lrDecay))).ToScalar();
#pragma warning restore RS0030
        state.sum.addcmul_(grad, grad, TorchScalars.One);
        var std = state.sum.sqrt().add_(TorchScalars.Of(eps), TorchScalars.One);
        param.addcdiv_(grad, std, stepSize);
    }
}
