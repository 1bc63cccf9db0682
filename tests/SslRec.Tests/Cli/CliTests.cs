namespace SslRec.Tests.Cli;

[Collection("azurite")] // shares Console redirection with the CLI pipeline tests, so never in parallel with them
public class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void Generate_then_train_writes_metrics_and_prints_the_recall_table()
    {
        using var dir = new TempDirectory();
        var data = Path.Combine(dir.Path, "data");
        var outDir = Path.Combine(dir.Path, "out");
        var gen = Run("generate", "--out", data, "--interactions", "3000", "--items", "100", "--seed", "4");
        Assert.Equal(0, gen.Code);
        var train = Run("train", "--data", data, "--out", outDir, "--ssl", "rfm", "--epochs", "1", "--batch-size", "256",
            "--ssl-batch-size", "64", "--embedding-dim", "8", "--hidden", "16", "--output-dim", "8", "--device", "cpu");
        Assert.True(train.Code == 0, train.Err);
        Assert.True(File.Exists(Path.Combine(outDir, "metrics.json")));
        Assert.Contains("R@50", train.Out);
        Assert.Contains("examples/s", train.Out);
        Assert.DoesNotContain("\r", train.Err); // no live progress when stderr is not a terminal
    }

    [Fact]
    public void Bad_data_fails_with_a_message_naming_file_row_and_field()
    {
        using var dir = new TempDirectory();
        var data = Path.Combine(dir.Path, "data");
        Run("generate", "--out", data, "--interactions", "200", "--items", "30");
        File.AppendAllText(Path.Combine(data, "interactions.csv"), "u1,k1,ios,b001,,123\n");
        var r = Run("train", "--data", data, "--out", Path.Combine(dir.Path, "out"), "--device", "cpu");
        Assert.Equal(2, r.Code);
        Assert.Contains("interactions.csv, row 202, field 'item_id': missing item key", r.Err);

        var skipped = Run("train", "--data", data, "--out", Path.Combine(dir.Path, "out"), "--device", "cpu",
            "--max-bad-rows", "1", "--epochs", "1", "--batch-size", "64", "--ssl", "none");
        Assert.True(skipped.Code == 0, skipped.Err);
        Assert.Contains("1 bad rows skipped", skipped.Err);
    }

    [Fact]
    public void Invalid_options_are_rejected()
    {
        using var dir = new TempDirectory();
        var r = Run("train", "--data", dir.Path, "--out", dir.Path, "--alpha", "-1");
        Assert.Equal(2, r.Code);
        Assert.Contains("--alpha", r.Err);
    }

    [Theory]
    [InlineData("--shard-target-mb")]
    [InlineData("--part-mb")] // its name before 2026-12: scripts that pass it keep working
    public void The_shard_size_takes_its_name_and_its_former_one(string option)
    {
        using var dir = new TempDirectory();
        var r = Run("train", "--data", dir.Path, "--out", dir.Path, option, "0");
        Assert.Equal(2, r.Code);
        Assert.Contains("--shard-target-mb must be at least 1", r.Err); // parsed as the option, then refused by its bound
    }
}
