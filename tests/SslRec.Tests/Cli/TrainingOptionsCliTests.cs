using System.CommandLine;
using System.Text.Json.Nodes;
using SslRec.Cli.Commands;
using SslRec.Core.Options;

namespace SslRec.Tests.Cli;

/// <summary>`sslrec train`'s training options come from the descriptors: the same names, values and checks as a retrain's overrides.</summary>
public class TrainingOptionsCliTests
{
    private static TrainingOptions Read(params string[] args)
    {
        var cli = TrainingOptionsCli.All();
        var command = new Command("t");
        cli.AddTo(command);
        var parse = command.Parse(args);
        Assert.Empty(parse.Errors);
        return cli.Read(parse);
    }

    [Fact]
    public void A_value_reads_on_the_command_line_as_in_a_retrain_override()
    {
        var cli = Read("--hidden", "256,128", "--epochs", "1e3", "--ssl", "NONE", "--learning-rate", "0.01", "--dropout", "0.4", "--embedding-optimizer", "lazyadam");
        var retrain = TrainingOverrides.Apply(new TrainingOptions(), JsonNode.Parse(
            """{"hidden": "256,128", "epochs": "1e3", "ssl": "NONE", "lr": 0.01, "dropout_rate": 0.4, "embedding_optimizer": "LazyAdam"}""")!.AsObject());
        Assert.Equal(retrain.Fingerprint(), cli.Fingerprint());
        Assert.Equal(1000, cli.Epochs);
        Assert.Equal(new TrainingOptions().Fingerprint(), Read().Fingerprint()); // nothing given: the defaults
    }

    [Theory]
    [InlineData("--epochs", "many", "--epochs: \"many\" is not a valid whole number")]
    [InlineData("--epochs", "0", "--epochs must be 1..10,000 (")]
    [InlineData("--lr", "NaN", "--lr must be in (0, 10] (a step size; larger ones diverge); got NaN")]
    [InlineData("--ssl", "maybe", "--ssl: \"maybe\" is not a valid SslMode (none, cfm, rfm, fd)")]
    [InlineData("--hidden", "256,0", "--hidden must be 1..16,384 (")]
    public void A_bad_value_is_refused_naming_the_flag(string flag, string value, string expected)
    {
        Assert.StartsWith(expected, Assert.Throws<ArgumentException>(() => Read(flag, value)).Message);
    }

}

/// <summary>`sslrec train --help` by group; the other commands' help as System.CommandLine writes it.</summary>
[Collection("azurite")] // CliRunner redirects the console, as the CLI pipeline tests do: never in parallel with them
public class GroupedHelpTests
{
    [Fact]
    public void Train_help_lists_every_option_once_under_its_group()
    {
        var (code, help, _) = CliRunner.Run("train", "--help");
        Assert.Equal(0, code);
        var headings = Enum.GetValues<OptionGroup>().Select(g => help.IndexOf("\n" + g.Title() + ":\n", StringComparison.Ordinal)).ToList();
        Assert.All(headings, h => Assert.True(h > 0, help));
        Assert.Equal(headings.Order(), headings); // Data, Model, SSL, Optimizer, Evaluation, Run
        foreach (var option in TrainingOptionDescriptors.All)
        {
            var at = help.IndexOf("\n  " + option.Flag + (option.Aliases.Count > 0 ? "," : " "), StringComparison.Ordinal);
            Assert.True(at > 0 && help.IndexOf("\n  " + option.Flag + " ", at + 1, StringComparison.Ordinal) < 0, $"{option.Flag} once:\n{help}");
            var section = headings.Where(h => h < at).Max();
            Assert.Equal(headings[(int)option.Group], section);
        }
        Assert.Contains("--data <data>", help);
        Assert.Contains("[default: 0.003]", help);
    }

    [Fact]
    public void Other_commands_keep_the_standard_help()
    {
        var (code, help, _) = CliRunner.Run("demo", "--help");
        Assert.Equal(0, code);
        Assert.Contains("Options:", help);
        Assert.Contains("--epochs", help);
    }
}
