using SslRec.Core.Data;
using SslRec.Core.Statistics;
using SslRec.Training.Evaluation;
using SslRec.Training.Export;
using SslRec.Training.Loop;
using static TorchSharp.torch;

namespace SslRec.Tests.Training;

public class WarmStartTests
{
    [Fact]
    public void Warm_start_carries_trained_rows_over_by_value_and_copies_the_towers()
    {
        var data = TinyData.Data;
        var mi = MutualInformation.Compute(data.Items, data.ItemTrainCounts);
        using var dir = new TempDirectory();
        using (var first = new Trainer(data, TinyData.Options with { MaxSteps = 10 }, CPU, mi))
        {
            first.Train();
            ModelBundle.Save(dir.Path, data, first.Options, first.Model);
        }
        var (_, _, _, previous) = ModelBundle.Load(dir.Path);

        // Same data: every row and layer is carried over, so the towers compute the same embeddings.
        using var same = new Trainer(data, TinyData.Options with { Seed = 77 }, CPU, mi);
        var result = WarmStart.Apply(same.Model, data, dir.Path);
        Assert.Equal(data.Schema.All.Count, result.FeaturesMatched);
        using var a = Embeddings.Encode(previous.ItemTower, data.Items, CPU);
        using var b = Embeddings.Encode(same.Model.ItemTower, data.Items, CPU);
        Assert.True(a.allclose(b, atol: 1e-6));

        // Another version of the data (half the rows: other vocabularies, other ids): shared values keep their vectors.
        var half = DatasetEncoder.Read(TinyData.Directory, new DatasetReadOptions { DataFraction = 0.5 });
        using var other = new Trainer(half, TinyData.Options with { Seed = 78 }, CPU, MutualInformation.Compute(half.Items, half.ItemTrainCounts));
        WarmStart.Apply(other.Model, half, dir.Path);
        const int user = 0; // query feature "user_id": its vocabulary depends on the training rows
        var value = half.Vocabularies[user].Values.First(v =>
            half.Vocabularies[user].IdOf(v) != data.Vocabularies[user].IdOf(v) && !data.Vocabularies[user].IsOov(data.Vocabularies[user].IdOf(v)));
        var newId = half.Vocabularies[user].IdOf(value);
        var oldId = data.Vocabularies[user].IdOf(value);
        Assert.NotEqual(newId, oldId); // the ids moved...
        Assert.True(other.Model.QueryTower.EmbeddingTable(user)[newId].allclose(previous.QueryTower.EmbeddingTable(user)[oldId])); // ...the vector did not
    }
}
