using System.Diagnostics;
using SslRec.Training.Loop;

/// <summary>
/// What the throughput benches measure of a trainer: warm-up steps first (JIT, allocator, first-touch of
/// tables), then timed steps with the step's phase timings reset, so both benches report the same thing.
/// </summary>
public sealed record TimedSteps(int Steps, double Seconds, long Examples, StepTimings Timings)
{
    public double ExamplesPerSecond => Examples / Seconds;

    public static TimedSteps Run(Trainer trainer, int warmup, int steps)
    {
        trainer.TrainSteps(warmup);
        trainer.Timings = new StepTimings();
        var before = trainer.State.ExamplesSeen;
        var clock = Stopwatch.StartNew();
        trainer.TrainSteps(steps);
        return new TimedSteps(steps, clock.Elapsed.TotalSeconds, trainer.State.ExamplesSeen - before, trainer.Timings);
    }
}
