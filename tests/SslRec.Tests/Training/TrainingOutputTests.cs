using SslRec.Core.Artifacts;
using SslRec.Core.Options;
using SslRec.Experiments;
using SslRec.Training;
using SslRec.Training.Loop;
using static TorchSharp.torch;

namespace SslRec.Tests.Training;

/// <summary>One driver, one evaluation, one writer: `sslrec train`, a pipeline candidate and an experiment cell write the same files the same way.</summary>
public class TrainingOutputTests
{
    private static TrainingOptions Options => TinyData.Options with { MaxSteps = 3, CheckpointEvery = 0 };

    private static IEnumerable<string> OnDisk(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(directory, f).Replace('\\', '/'));

    [Fact]
    public void A_local_output_and_a_candidate_hold_the_same_files_placed_by_their_layout()
    {
        using var dir = new TempDirectory();
        var local = ModelOutput.Local(dir.Sub("local"));
        var candidate = ModelOutput.Candidate(dir.Sub("candidate"));
        var a = TrainJob.TrainAndEvaluate(TinyData.Data, Options, CPU, new TrainingRun { Checkpoints = new LocalCheckpointStore(local.PathOf(ModelOutput.CheckpointsFolder)) }, local);
        var b = TrainJob.TrainAndEvaluate(TinyData.Data, Options, CPU, new TrainingRun(), candidate);

        Assert.Equal(a.Recall, b.Recall); // checkpoints or not, the same seed trains the same model
        Assert.Equal(ModelOutput.Metrics, candidate.Files[^1]);
        Assert.Equal(candidate.Files.Order(StringComparer.Ordinal), OnDisk(candidate.Directory).Order(StringComparer.Ordinal)); // what the train stage uploads
        Assert.Equal(candidate.Files.Select(local.RelativePath), local.Files); // the same files; embeddings/ holds a local output's vectors
        foreach (var name in new[] { ModelOutput.Losses, ModelOutput.Report, ModelOutput.LossPlot, ModelOutput.RecallPlot, ModelOutput.FeatureMutualInformation, ModelOutput.Vectors, ModelOutput.Codes })
            Assert.Contains(candidate.RelativePath(name), candidate.Files);
        Assert.Contains(OnDisk(local.Directory), f => f.StartsWith(ModelOutput.CheckpointsFolder + "/"));
        Assert.Equal(File.ReadAllText(local.PathOf(ModelOutput.Losses)), File.ReadAllText(candidate.PathOf(ModelOutput.Losses)));
    }

    [Fact]
    public void An_experiment_cell_writes_its_losses_in_the_same_schema_and_metrics_last()
    {
        using var dir = new TempDirectory();
        var cell = new ExperimentCell("cfm", Options, 1);
        var result = Assert.Single(new ExperimentRunner(TinyData.Directory, dir.Path, CPU, _ => { }).Run([new StudyEntry("s", "cfm", cell)]));
        var cellDir = Path.Combine(dir.Path, "cells", cell.Folder);
        Assert.Equal(LossCsv.Header, File.ReadLines(Path.Combine(cellDir, ModelOutput.Losses)).First());
        Assert.Equal(result.Losses.Count, LossCsv.Read(Path.Combine(cellDir, ModelOutput.Losses)).Count);
        Assert.Equal(["cell.txt", ModelOutput.Losses, ModelOutput.Metrics], OnDisk(cellDir).Order(StringComparer.Ordinal));
        Assert.Null(result.Metrics.CompactItems); // a cell publishes nothing: no product quantization
    }
}
