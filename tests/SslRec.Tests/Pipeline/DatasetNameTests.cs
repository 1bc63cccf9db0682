using SslRec.Pipeline;
using SslRec.Pipeline.Storage;

namespace SslRec.Tests.Pipeline;

/// <summary>The naming rule and the run-id encoding (<see cref="DatasetNames"/>); the routes names enter by are in DatasetNameRoutesTests.</summary>
public class DatasetNameTests
{
    [Fact]
    public void Run_ids_of_different_dataset_versions_differ_even_when_their_names_contain_dots()
    {
        Assert.NotEqual(DatasetNames.RunId("col.a", "v1"), DatasetNames.RunId("col", "a.v1"));
        Assert.Equal("col.a@v1", DatasetNames.RunId("col.a", "v1"));
        // a retrain's run and model version never equal a dropped version's, whatever that version is called
        Assert.Equal("shop@v1@retrain-x", DatasetNames.RetrainRunId("shop", "v1", "x"));
        Assert.NotEqual(DatasetNames.RetrainRunId("shop", "v1", "x"), DatasetNames.RunId("shop", "v1.retrain-x"));
        Assert.NotEqual("v1-retrain-x", DatasetNames.RetrainModelVersion("v1", "x"));
        Assert.False(DatasetNames.IsValid(DatasetNames.RetrainModelVersion("v1", "x")));
    }

    [Fact]
    public void Run_ids_are_never_built_from_names_outside_the_rule()
    {
        Assert.Throws<ArgumentException>(() => DatasetNames.RunId("col@a", "v1"));
        Assert.Throws<ArgumentException>(() => DatasetNames.RetrainRunId("shop", "v1", "a/b"));
    }

    [Theory]
    [InlineData("shop")]
    [InlineData("col.a")]
    [InlineData("shop_eu-2")]
    [InlineData("20261201-130000-123")]
    public void Names_the_cli_always_accepted_stay_valid(string name) => Assert.Null(DatasetNames.Problem(name));

    [Theory]
    [InlineData("my data", "a space at position 3")]
    [InlineData("a%2Fb", "'%' at position 2")]
    [InlineData("a/b", "'/' at position 2")]
    [InlineData("col@a", "'@' at position 4")]
    [InlineData(".hidden", "starts with '.'")]
    [InlineData("", "empty")]
    [InlineData("café", "non-ASCII character 'é'")]
    public void A_name_outside_the_rule_is_refused_saying_why(string name, string why)
    {
        var e = Assert.Throws<ArgumentException>(() => DatasetNames.Validate(name, "--dataset"));
        Assert.StartsWith($"--dataset '{name}': ", e.Message);
        Assert.Contains(why, e.Message);
        Assert.Contains(DatasetNames.Rule, e.Message);
    }

    [Fact]
    public void A_long_name_is_refused_with_its_length_and_not_repeated_whole()
    {
        var e = Assert.Throws<ArgumentException>(() => DatasetNames.Validate(new string('x', 200), "--dataset"));
        Assert.Contains("it has 200 characters", e.Message);
        Assert.DoesNotContain(new string('x', 41), e.Message);
    }

    [Theory]
    [InlineData("shop/v1/_READY", "shop", "v1", null)]
    [InlineData("my data/v1/_READY", "my data", "v1", "dataset 'my data': it contains a space")]
    [InlineData("shop/v 1/_READY", "shop", "v 1", "version 'v 1': it contains a space")]
    [InlineData("a%2Fb/v1/_READY", "a%2Fb", "v1", "'%' at position 2")]
    [InlineData("shop/eu/v1/_READY", "", "", "3 folder(s) deep")]
    [InlineData("_READY", "", "", "0 folder(s) deep")]
    public void A_ready_blob_names_its_dataset_version_or_why_it_cannot(string blob, string dataset, string version, string? problem)
    {
        var ready = BlobLayout.ParseReady(blob)!;
        Assert.Equal((dataset, version), (ready.Dataset, ready.Version));
        if (problem is null) Assert.True(ready.IsValid);
        else Assert.Contains(problem, ready.Problem);
    }

    [Fact]
    public void Other_blobs_are_not_ready_markers()
    {
        Assert.Null(BlobLayout.ParseReady("shop/v1/interactions.csv"));
        Assert.Null(BlobLayout.ParseReady("shop/v1/not_READY"));
    }
}
