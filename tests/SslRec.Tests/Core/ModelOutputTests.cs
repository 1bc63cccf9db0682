using SslRec.Core.Artifacts;
using SslRec.Core.Metrics;

namespace SslRec.Tests.Core;

public class ModelOutputTests
{
    [Fact]
    public void A_local_output_keeps_embedding_files_under_embeddings_and_a_candidate_at_its_root()
    {
        using var dir = new TempDirectory();
        var local = ModelOutput.Local(dir.Sub("local"));
        var candidate = ModelOutput.Candidate(dir.Sub("candidate"));
        foreach (var output in new[] { local, candidate })
        {
            output.WriteFiles([ModelOutput.Vectors, ModelOutput.Ids], folder =>
            {
                File.WriteAllBytes(Path.Combine(folder, ModelOutput.Vectors), new byte[8]);
                File.WriteAllLines(Path.Combine(folder, ModelOutput.Ids), ["a", "b"]);
            });
            output.WriteFolder(ModelOutput.QueryTowerFolder, folder => File.WriteAllText(Path.Combine(folder, "weights.bin"), "w"));
            output.WriteText(ModelOutput.Report, "# report");
        }
        Assert.Equal(["embeddings/items.f32", "embeddings/ids.txt", "query_tower/weights.bin", "report.md"], local.Files);
        Assert.Equal(["items.f32", "ids.txt", "query_tower/weights.bin", "report.md"], candidate.Files);
        Assert.True(File.Exists(Path.Combine(dir.Sub("local"), "embeddings", "ids.txt")));
        // the candidate's list is what is on disk: the train stage uploads exactly these
        Assert.Equal(candidate.Files.Order(StringComparer.Ordinal),
            Directory.EnumerateFiles(candidate.Directory, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(candidate.Directory, f).Replace('\\', '/')).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Metrics_are_moved_into_place_whole_and_a_file_the_writer_did_not_write_is_an_error()
    {
        using var dir = new TempDirectory();
        var output = ModelOutput.Local(dir.Path);
        output.WriteMetrics(new MetricsReport { CorpusSize = 7 });
        Assert.Equal(7, MetricsReport.FromJson(File.ReadAllText(Path.Combine(dir.Path, ModelOutput.Metrics))).CorpusSize);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
        Assert.Equal([ModelOutput.Metrics], output.Files);
        Assert.Throws<InvalidOperationException>(() => output.Write(ModelOutput.LossPlot, _ => { }));
        Assert.Throws<ArgumentException>(() => output.WriteFiles([ModelOutput.Vectors, ModelOutput.Report], _ => { }));
    }

    [Fact]
    public void Loss_csv_has_one_schema_and_reads_cells_written_in_the_old_experiment_schema()
    {
        using var dir = new TempDirectory();
        LossRecord[] losses = [new(0, 0, 4.5, 4.25, 2.5, 0), new(1, 0, 4.125, 4.0, 1.25, 0.5)];
        var output = ModelOutput.Local(dir.Path);
        output.WriteLosses(losses);
        var path = Path.Combine(dir.Path, ModelOutput.Losses);
        Assert.Equal(LossCsv.Header, File.ReadLines(path).First());
        Assert.Equal(losses, LossCsv.Read(path));

        File.WriteAllText(path, "step,main,ssl\n0,4.25,2.5\n1,4,1.25\n"); // an experiment cell before the schema was one
        Assert.Equal([new LossRecord(0, 0, 0, 4.25, 2.5, 0), new LossRecord(1, 0, 0, 4.0, 1.25, 0)], LossCsv.Read(path));
    }
}
