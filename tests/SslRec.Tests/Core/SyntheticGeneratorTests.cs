using SslRec.Core.Data;
using SslRec.Core.Statistics;
using SslRec.Core.Synthetic;

namespace SslRec.Tests.Core;

public class SyntheticGeneratorTests
{
    [Fact]
    public void Generated_data_reads_back_with_power_law_popularity_and_correlated_features()
    {
        using var dir = new TempDirectory();
        SyntheticGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 20_000, Items = 500, Seed = 3 });
        var d = DatasetEncoder.Read(dir.Path);
        Assert.Equal(500, d.CorpusSize);
        Assert.Equal(20_000, d.Report.RowsRead);

        // power law: the top 10% of items take far more than 10% of the interactions
        var counts = d.ItemTrainCounts.OrderDescending().ToArray();
        var topShare = counts.Take(50).Sum() / (double)counts.Sum();
        Assert.True(topShare > 0.4, $"top 10% of items have {topShare:P0} of interactions");

        // brand determines category: MI(category, brand) is close to H(category) (rare brands share
        // out-of-vocabulary ids, which blurs it a little); price is far less tied to category
        var mi = MutualInformation.Compute(d.Items, d.ItemTrainCounts);
        int category = 1, brand = 2, price = 3;
        Assert.InRange(mi[category, brand], 0.95 * mi[category, category], mi[category, category] + 1e-9);
        Assert.True(mi[category, price] < 0.5 * mi[category, brand]);
    }

    [Fact]
    public void Same_seed_same_files()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        SyntheticGenerator.Generate(a.Path, new SyntheticOptions { Interactions = 500, Items = 50, Seed = 9 });
        SyntheticGenerator.Generate(b.Path, new SyntheticOptions { Interactions = 500, Items = 50, Seed = 9 });
        foreach (var f in new[] { "interactions.csv", "items.csv", "schema.json" })
            Assert.Equal(File.ReadAllText(Path.Combine(a.Path, f)), File.ReadAllText(Path.Combine(b.Path, f)));
    }
}
