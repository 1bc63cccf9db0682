using System.Diagnostics;
using SslRec.Core.Artifacts;
using SslRec.Core.Data;
using SslRec.Core.Metrics;
using SslRec.Core.Options;
using SslRec.Core.Statistics;
using SslRec.Training.Evaluation;
using SslRec.Training.Export;
using SslRec.Training.Loop;
using static TorchSharp.torch;

namespace SslRec.Training;

public sealed record TrainJobOptions
{
    public required string DataDirectory { get; init; }
    public required string OutputDirectory { get; init; }
    public TrainingOptions Training { get; init; } = new();
    public string Device { get; init; } = "auto";
    public double DataFraction { get; init; } = 1.0;
    public long MaxBadRows { get; init; }
    /// <summary>Continue from the newest checkpoint in OUT/checkpoints when there is one.</summary>
    public bool Resume { get; init; }
    /// <summary>Files larger than this are read in shards of about this size, as the pipeline's map shards (each becomes an example part).</summary>
    public long ShardTargetBytes { get; init; } = 64L << 20;
    public Action<string>? Log { get; init; }
    public Action<TrainingProgress>? Progress { get; init; }
}

/// <summary>
/// `sslrec train`: read and encode the dataset, then <see cref="TrainAndEvaluate"/> into OUT (the files of
/// <see cref="TrainingArtifacts"/>, laid out by <see cref="ModelOutput.Local"/>, and checkpoints/).
/// </summary>
public static class TrainJob
{
    public static MetricsReport Run(TrainJobOptions job, CancellationToken cancel = default)
    {
        var log = job.Log ?? (_ => { });
        job.Training.Validate();
        var device = TorchSetup.ResolveDevice(job.Device);
        var output = ModelOutput.Local(job.OutputDirectory);

        var read = Stopwatch.StartNew();
        var data = DatasetEncoder.Read(job.DataDirectory, new DatasetReadOptions
        {
            DataFraction = job.DataFraction,
            MaxBadRows = job.MaxBadRows,
            ShardTargetBytes = job.ShardTargetBytes,
            Progress = (file, rows) => log($"reading {Path.GetFileName(file)}: {rows:N0} rows"),
        });
        var r = data.Report;
        log($"read {r.RowsRead:N0} rows in {read.Elapsed.TotalSeconds:F1}s: {r.TrainRows:N0} train, {r.EvalRows:N0} held out, {data.CorpusSize:N0} items, {data.Train.PartCount} parts" +
            (r.BadRows > 0 ? $", {r.BadRows} bad rows skipped (first: {r.BadRowMessages[0]})" : ""));

        var run = new TrainingRun
        {
            Checkpoints = new LocalCheckpointStore(output.PathOf(ModelOutput.CheckpointsFolder)), Resume = job.Resume,
            Log = log, Progress = job.Progress, Cancel = cancel,
        };
        return TrainAndEvaluate(data, job.Training, device, run, output, job.DataFraction);
    }

    /// <summary>
    /// Train (<see cref="ModelTraining"/>), evaluate (<see cref="ModelEvaluation"/>) and write every output
    /// (<see cref="TrainingArtifacts"/>): `sslrec train` and the pipeline's train stage, which differ only in
    /// the run (checkpoint store, resume, warm start, suspend time) and the output's layout.
    /// </summary>
    public static MetricsReport TrainAndEvaluate(EncodedDataset data, TrainingOptions options, Device device, TrainingRun run, ModelOutput output, double dataFraction = 1.0)
    {
        var items = ItemFeatureStatistics.Of(data); // one mutual-information matrix for CFM and feature_mi.json
        using var trainer = ModelTraining.Train(data, options, device, run, items);
        using var evaluated = ModelEvaluation.Evaluate(trainer.Result, data, device, new EvaluationOptions { DataFraction = dataFraction, Log = run.Log });
        TrainingArtifacts.Write(output, data, trainer.Result, evaluated, items);
        return evaluated.Metrics;
    }

    /// <summary>The metrics of a trainer's model whose item vectors the caller has encoded (<see cref="ModelEvaluation.Metrics"/>).</summary>
    public static MetricsReport Evaluate(Trainer trainer, EncodedDataset data, Tensor itemEmbeddings, Device device) =>
        ModelEvaluation.Metrics(trainer.Result, data, itemEmbeddings, device);
}
