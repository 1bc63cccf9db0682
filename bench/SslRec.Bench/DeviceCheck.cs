using SslRec.Core.Data;
using SslRec.Core.Options;
using SslRec.Core.Statistics;
using SslRec.Training.Loop;
using static TorchSharp.torch;

/// <summary>
/// What a GPU run must confirm about row-wise training, in one command: for each embedding optimizer,
/// the same steps on the CPU and on --device give the same losses (to a tolerance: GPU kernels sum in
/// another order), and on the device a step moves exactly the rows whose optimizer state it changed.
/// Prints one line per optimizer and, last, `device-check failures: N`.
/// </summary>
public static class DeviceCheck
{
    public static int Run(Args a)
    {
        var data = DatasetEncoder.Read(a.Str("data"));
        var items = ItemFeatureStatistics.Of(data);
        var device = SslRec.Training.TorchSetup.ResolveDevice(a.Str("device", "cuda"));
        var steps = a.Int("steps", 20);
        var tolerance = double.Parse(a.Str("tolerance", "1e-3"), System.Globalization.CultureInfo.InvariantCulture);
        var failures = 0;
        foreach (var kind in Enum.GetValues<EmbeddingOptimizerKind>())
        {
            var options = new TrainingOptions { EmbeddingOptimizer = kind, Epochs = 1000, CheckpointEvery = 0 };
            double[] Losses(Device d, out string rows)
            {
                using var trainer = new Trainer(data, options, d, items);
                trainer.TrainSteps(steps - 1);
                rows = "n/a (dense)";
                if (trainer.SparseTables is { } sparse)
                {
                    var before = sparse.Tables.Select(t => (t.Weight.detach().clone(), trainer.RowWise!.State(t)[0].clone())).ToList();
                    trainer.TrainSteps(1);
                    var mismatched = 0;
                    for (var i = 0; i < before.Count; i++)
                    {
                        using var moved = before[i].Item1.ne(sparse.Tables[i].Weight.detach()).any(1);
                        using var stateDiff = before[i].Item2.ne(trainer.RowWise!.State(sparse.Tables[i])[0]);
                        using var changed = stateDiff.dim() == 1 ? stateDiff.clone() : stateDiff.any(1);
                        mismatched += (int)moved.ne(changed).sum().item<long>();
                        before[i].Item1.Dispose();
                        before[i].Item2.Dispose();
                    }
                    rows = mismatched == 0 ? "moved rows = rows with changed state" : $"{mismatched} rows moved without a state change or the reverse";
                    if (mismatched > 0) failures++;
                }
                else trainer.TrainSteps(1);
                return trainer.State.Losses.Select(l => l.Total).ToArray();
            }
            var cpu = Losses(CPU, out _);
            var other = Losses(device, out var rowCheck);
            var difference = cpu.Zip(other).Max(p => Math.Abs(p.First - p.Second));
            if (difference > tolerance) failures++;
            Console.WriteLine($"{kind,-15} {steps} steps: max |loss cpu - loss {device.type}| {difference:E2} (tolerance {tolerance:E0}); {device.type}: {rowCheck}");
        }
        Console.WriteLine($"device-check failures: {failures}");
        return failures == 0 ? 0 : 1;
    }
}
