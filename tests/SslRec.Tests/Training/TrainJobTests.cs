using System.Text.Json;
using SslRec.Core.Metrics;
using SslRec.Core.Options;
using SslRec.Training;
using SslRec.Training.Export;

namespace SslRec.Tests.Training;

public class TrainJobTests
{
    [Theory]
    [InlineData(SslMode.Cfm)]
    [InlineData(SslMode.None)]
    public void Training_lowers_the_loss_and_retrieves_far_better_than_chance(SslMode ssl)
    {
        using var outDir = new TempDirectory();
        var metrics = TrainJob.Run(new TrainJobOptions
        {
            DataDirectory = TinyData.Directory, OutputDirectory = outDir.Path, Device = "cpu",
            Training = TinyData.Options with { Ssl = ssl, Epochs = 4 },
        });

        var losses = File.ReadAllLines(Path.Combine(outDir.Path, "loss.csv")).Skip(1)
            .Select(l => double.Parse(l.Split(',')[3], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.True(losses.TakeLast(5).Average() < 0.8 * losses.Take(5).Average(),
            $"main loss went from {losses.Take(5).Average():F3} to {losses.TakeLast(5).Average():F3}");

        // chance level of Recall@10 is 10 / corpus = 5%; the synthetic users' preferences make it far higher
        var chance = 10.0 / metrics.CorpusSize;
        Assert.True(metrics.RecallAt("all", 10) > 3 * chance, $"Recall@10 {metrics.RecallAt("all", 10):F3} vs chance {chance:F3}");
        Assert.True(metrics.RecallAt("all", 100) >= metrics.RecallAt("all", 50));
        Assert.True(metrics.RecallAt("all", 50) >= metrics.RecallAt("all", 10));

        // metrics.json has the documented shape
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir.Path, "metrics.json")));
        var root = doc.RootElement;
        foreach (var slice in new[] { "all", "head", "tail" })
            foreach (var k in new[] { "10", "50", "100" })
                Assert.InRange(root.GetProperty("recall").GetProperty(slice).GetProperty(k).GetDouble(), 0, 1);
        Assert.Contains("head", root.GetProperty("slices").GetProperty("tail_definition").GetString());
        Assert.Equal(metrics.Examples.Train, root.GetProperty("examples").GetProperty("train").GetInt64());
        Assert.Equal(200, root.GetProperty("corpus_size").GetInt32());
        Assert.Equal(ssl.ToString().ToLowerInvariant(), root.GetProperty("config").GetProperty("ssl").GetString());
        Assert.True(root.GetProperty("examples_per_second").GetDouble() > 0);

        // published embeddings: one unit-length row per corpus item
        var (vectors, dim, keys) = EmbeddingFiles.Read(Path.Combine(outDir.Path, "embeddings"));
        Assert.Equal(200, keys.Length);
        Assert.Equal(16, dim);
        Assert.Equal(1.0, Math.Sqrt(vectors.Take(dim).Sum(v => v * v)), 4);
    }

    [Fact]
    public void The_model_bundle_reloads_and_reproduces_the_item_embeddings()
    {
        using var outDir = new TempDirectory();
        TrainJob.Run(new TrainJobOptions
        {
            DataDirectory = TinyData.Directory, OutputDirectory = outDir.Path, Device = "cpu",
            Training = TinyData.Options with { MaxSteps = 3 },
        });
        var (schema, options, vocabularies, model) = ModelBundle.Load(Path.Combine(outDir.Path, "model"));
        Assert.Equal(TinyData.Data.Schema.All, schema.All);
        Assert.Equal(TinyData.Options.OutputDim, options.OutputDim);
        using var again = SslRec.Training.Evaluation.Embeddings.Encode(model.ItemTower, TinyData.Data.Items, TorchSharp.torch.CPU);
        var (vectors, _, _) = EmbeddingFiles.Read(Path.Combine(outDir.Path, "embeddings"));
        var recomputed = again.data<float>().ToArray();
        Assert.Equal(vectors.Length, recomputed.Length);
        for (var i = 0; i < vectors.Length; i++) Assert.Equal(vectors[i], recomputed[i], 5);
        Assert.Equal(vocabularies.Count, schema.All.Count);
    }
}
