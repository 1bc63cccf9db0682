using SslRec.Core.Options;
using SslRec.Core.Schema;
using SslRec.Core.Ssl;
using SslRec.Core.Statistics;
using SslRec.Training.Loop;
using static TorchSharp.torch;

namespace SslRec.Tests.Training.Augmentations;

/// <summary>The registry every reader of augmentations goes through: `--ssl` help, the schema check, the trainer.</summary>
public class SslAugmentationRegistryTests
{
    [Fact]
    public void Every_ssl_mode_but_none_has_exactly_one_augmentation()
    {
        Assert.Equal(Enum.GetValues<SslMode>().Where(m => m != SslMode.None), SslAugmentations.All.Select(a => a.Mode));
        Assert.Null(SslAugmentations.For(SslMode.None));
        Assert.All(SslAugmentations.All, a => Assert.Same(a, SslAugmentations.For(a.Mode)));
        Assert.All(SslAugmentations.All, a => Assert.False(string.IsNullOrWhiteSpace(a.Title) || string.IsNullOrWhiteSpace(a.Help), a.Name));
        Assert.All(SslAugmentations.All.Where(a => a.MinItemFeatures > 0), a => Assert.NotEmpty(a.MinItemFeaturesReason));
    }

    [Fact]
    public void An_ssl_weight_of_zero_runs_no_augmentation()
    {
        Assert.Equal(SslMode.Cfm, SslAugmentations.Active(new TrainingOptions { Ssl = SslMode.Cfm })!.Mode);
        Assert.Null(SslAugmentations.Active(new TrainingOptions { Ssl = SslMode.Cfm, Alpha = 0 }));
        Assert.Null(SslAugmentations.Active(new TrainingOptions { Ssl = SslMode.None }));
    }

    [Fact]
    public void The_ssl_option_help_lists_none_and_each_augmentation_with_what_it_needs()
    {
        var help = SslAugmentations.OptionHelp;
        Assert.StartsWith("SSL augmentation: none (", help);
        foreach (var a in SslAugmentations.All) Assert.Contains($"{a.Name} ({a.Title}: {a.Help}", help);
        Assert.Contains("cfm (correlated feature masking", help);
        Assert.Contains("needs 2+ item features", help);
    }

    [Fact]
    public void A_schema_too_small_for_the_augmentation_is_refused_naming_the_augmentations_that_fit()
    {
        var schema = DatasetSchema.Parse("""
            { "query": [ {"name": "user_id", "type": "categorical"} ],
              "item":  [ {"name": "item_id", "type": "categorical", "key": true} ] }
            """);
        var e = Assert.Throws<SchemaException>(() => SchemaRequirements.Check(new TrainingOptions { Ssl = SslMode.Rfm }, schema, "schema.json"));
        Assert.Contains("ssl rfm masks half of the item features and needs at least two; the schema declares 1 (item_id): add item features, or train with ssl=fd (feature dropout) or ssl=none", e.Message);
        foreach (var fits in new[] { SslMode.Fd, SslMode.None })
            SchemaRequirements.Check(new TrainingOptions { Ssl = fits }, schema, "schema.json");
    }

    [Fact]
    public void Only_an_augmentation_that_declares_it_makes_training_compute_the_mutual_information()
    {
        foreach (var (mode, computed) in new[] { (SslMode.Cfm, true), (SslMode.Rfm, false), (SslMode.Fd, false), (SslMode.None, false) })
        {
            var items = ItemFeatureStatistics.Of(TinyData.Data);
            using var trainer = new Trainer(TinyData.Data, TinyData.Options with { Ssl = mode, MaxSteps = 1 }, CPU, items);
            trainer.Train();
            Assert.True(computed == items.HasMutualInformation, $"{mode}: computed {items.HasMutualInformation}");
        }
    }
}
