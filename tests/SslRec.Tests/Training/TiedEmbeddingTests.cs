using SslRec.Core.Data;
using SslRec.Core.Options;
using SslRec.Core.Statistics;
using SslRec.Core.Synthetic;
using SslRec.Training;
using SslRec.Training.Evaluation;
using SslRec.Training.Export;
using SslRec.Training.Loop;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Tests.Training;

public class TiedEmbeddingTests
{
    private static readonly Lazy<(TempDirectory Dir, EncodedDataset Tied, EncodedDataset Untied)> Links = new(() =>
    {
        var dir = new TempDirectory();
        LinkPredictionGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 3000, Items = 200, Seed = 3 });
        var tied = DatasetEncoder.Read(dir.Path);
        var untied = DatasetEncoder.Read(dir.Path, tied.Schema.Untied());
        return (dir, tied, untied);
    });

    private static TrainingOptions Options => TinyData.Options with { Ssl = SslMode.None, MaxSteps = 6, CheckpointEvery = 3 };

    [Fact]
    public void A_tied_pair_has_one_vocabulary_over_the_union_of_both_sides()
    {
        var (_, tied, untied) = Links.Value;
        Assert.Same(tied.Vocabularies[0], tied.Vocabularies[3]);                    // src_page and page
        Assert.NotSame(untied.Vocabularies[0], untied.Vocabularies[3]);
        // counts add up: a page's count is its count as a source plus as a target
        var page = tied.Vocabularies[3].Values[0];
        var sourceCount = untied.Vocabularies[0].Counts[untied.Vocabularies[0].IdOf(page) - 1];
        var targetCount = untied.Vocabularies[3].Counts[untied.Vocabularies[3].IdOf(page) - 1];
        Assert.Equal(sourceCount + targetCount, tied.Vocabularies[3].Counts[0]);
        // a query row and an item row naming the same page use the same id
        var firstSource = tied.Train.Materialize().Queries.Columns[0].Ids![0];
        Assert.Equal(tied.Vocabularies[3].Values[firstSource - 1], tied.Vocabularies[0].Values[firstSource - 1]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_query_only_step_moves_the_item_tower_only_when_tied(bool tiedModel)
    {
        var data = tiedModel ? Links.Value.Tied : Links.Value.Untied;
        random.manual_seed(1);
        using var model = new TwoTowerModel(data, Options);
        using var optimizer = optim.Adam(model.parameters(), 0.05);
        using var before = Embeddings.Encode(model.ItemTower, data.Items, CPU);

        using (var scope = NewDisposeScope())
        {
            var batch = FeatureBatchBuilder.Build(data.Train.Materialize().Queries, Enumerable.Range(0, 64).ToArray(), CPU);
            model.QueryTower.call(batch).mul(linspace(-1, 1, 16)).sum().backward();
            optimizer.step();
        }
        using var after = Embeddings.Encode(model.ItemTower, data.Items, CPU);
        Assert.Equal(!tiedModel, before.allclose(after));
    }

    [Fact]
    public void The_tied_table_is_stored_once_and_resume_restores_the_tie()
    {
        var data = Links.Value.Tied;
        var mi = MutualInformation.Compute(data.Items, data.ItemTrainCounts);
        using var dir = new TempDirectory();
        var store = new LocalCheckpointStore(dir.Path);
        using var first = new Trainer(data, Options, CPU, mi);
        first.Train(store);
        var names = first.Model.state_dict().Keys.ToList();
        Assert.Contains("item.embeddings.0.weight", names);
        Assert.DoesNotContain(names, n => n.StartsWith("query.embeddings.", StringComparison.Ordinal)); // every query feature is tied here
        Assert.Same(first.Model.QueryTower.EmbeddingModule(0), first.Model.ItemTower.EmbeddingModule(0));

        using var resumed = new Trainer(data, Options, CPU, mi);
        using (no_grad()) resumed.Model.ItemTower.EmbeddingTable(0).zero_();   // so that equality below must come from the checkpoint
        Assert.True(resumed.TryResume(store));
        Assert.Same(resumed.Model.QueryTower.EmbeddingModule(0), resumed.Model.ItemTower.EmbeddingModule(0));
        Assert.True(resumed.Model.QueryTower.EmbeddingTable(0).allclose(first.Model.ItemTower.EmbeddingTable(0)));
    }

    [Theory]
    [InlineData(EmbeddingKind.Full)]
    [InlineData(EmbeddingKind.Mgqe)]   // a tied quantized table: compressed once, shared, and copied into the query tower
    public void The_published_query_tower_carries_the_shared_tables(EmbeddingKind kind)
    {
        var data = Links.Value.Tied;
        var options = Options with { Embedding = kind, DpqGroups = 4, MgqeCentroids = [16, 4], MgqeTierShares = [0.2] };
        using var trainer = new Trainer(data, options, CPU, MutualInformation.Compute(data.Items, data.ItemTrainCounts));
        trainer.Train();
        using var dir = new TempDirectory();
        ModelBundle.SaveQueryTower(dir.Path, data, trainer.Options, trainer.Model);
        if (kind == EmbeddingKind.Mgqe)
        {
            Assert.Same(trainer.Model.QueryTower.Quantized(0), trainer.Model.ItemTower.Quantized(0));
            // counted once for the model, but the published query tower holds its own compact copy
            Assert.Equal(0, trainer.Model.QueryTower.EmbeddingServingBytes(includeShared: false));
            Assert.True(File.Exists(Path.Combine(dir.Path, CompactTables.Folder, "src_page.codes")));
        }
        using var encoder = QueryEncoder.Load(dir.Path);
        var vector = encoder.Encode(encoder.Parse("src_page=p00007,src_category=c000,src_words=w0_1|v0_3"));

        var columns = data.Schema.Query.Select((f, i) =>
        {
            var b = new FeatureColumnBuilder(f, data.Vocabularies[i], 1);
            b.Add(f.Name switch { "src_page" => "p00007", "src_category" => "c000", _ => "w0_1|v0_3" });
            return b.Build();
        }).ToList();
        trainer.Model.eval();
        using var _ = no_grad();
        using var scope = NewDisposeScope(); // owns the test's temporaries while libtorch reads them: other tests force collections (README, "Native memory safety")
        var expected = trainer.Model.QueryTower.call(FeatureBatchBuilder.Build(new EncodedTable(columns, 1), [0], CPU)).data<float>().ToArray();
        Assert.Equal(expected, vector);
    }
}
