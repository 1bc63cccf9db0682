using System.Text.Json;
using SslRec.Cli.Commands;
using SslRec.LocalHost;
using SslRec.Pipeline;
using SslRec.Tests.Pipeline;

namespace SslRec.Tests.Cli;

[Collection("azurite")]
public class DemoStorageTests(AzuriteFixture azurite)
{
    [Fact]
    public void The_commands_the_demo_prints_work_after_it_has_ended()
    {
        using var dir = new TempDirectory();
        var folder = dir.Sub("storage");
        var demo = CliRunner.Run("demo", "--interactions", "2000", "--items", "60", "--epochs", "1", "--device", "cpu", "--storage-folder", folder);
        Assert.True(demo.Code == 0, demo.Out + demo.Err);

        // the demo's emulator is gone; only its data is left
        Assert.False(File.Exists(Path.Combine(folder, LocalStorage.MarkerFile)));
        Assert.Contains("__blobstorage__", Directory.EnumerateDirectories(folder).Select(Path.GetFileName));

        var commands = demo.Out.Split('\n').Select(l => l.TrimEnd()).Where(l => l.StartsWith("  sslrec ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, commands.Count);
        Assert.All(commands, c => Assert.Contains($"--storage-folder {folder}", c));
        foreach (var command in commands)
        {
            var args = ShellWords(command.Split(" #")[0].Trim())[1..]; // "sslrec recommend …" → the arguments
            var run = CliRunner.Run(args);
            Assert.True(run.Code == 0, $"{command}: {run.Err}");
            if (args[0] == "recommend") Assert.Equal(5, run.Out.Split('\n').Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+\d\. i\d{5}\s")));
            if (args[0] == "status") Assert.Contains("Published", run.Out);
            if (args[0] == "retrain") Assert.Contains("retrain of demo enqueued", run.Out);
            Assert.False(File.Exists(Path.Combine(folder, LocalStorage.MarkerFile))); // each command stopped the emulator it started
        }
    }

    [Fact]
    public async Task Commands_on_one_folder_share_the_emulator_that_serves_it()
    {
        using var dir = new TempDirectory();
        using (var first = await LocalStorage.OpenAsync(dir.Sub("storage")))
        {
            Assert.True(first!.Started);
            using var second = await LocalStorage.OpenAsync(dir.Sub("storage"));
            Assert.False(second!.Started);
            Assert.Equal((first.BlobPort, first.QueuePort), (second.BlobPort, second.QueuePort));
            Assert.Equal(second.ConnectionString, Environment.GetEnvironmentVariable("AzureWebJobsStorage"));
        }
        Assert.Null(Environment.GetEnvironmentVariable("AzureWebJobsStorage")); // restored when the command ends
        Assert.False(File.Exists(Path.Combine(dir.Sub("storage"), LocalStorage.MarkerFile)));
    }

    [Fact]
    public async Task Data_written_just_before_the_emulator_stops_is_kept()
    {
        using var dir = new TempDirectory();
        using (var azuriteOnFolder = await AzuriteProcess.StartAsync(inMemory: false, location: dir.Sub("storage")))
        {
            var ctx = PipelineContext.Create(new SslRec.Pipeline.Settings.StorageSettings { ConnectionString = azuriteOnFolder.ConnectionString });
            await ctx.EnsureInfrastructureAsync();
            await ctx.Blobs.WriteJsonAsync(SslRec.Pipeline.Storage.BlobLayout.Artifacts, "last.json", new Dictionary<string, string> { ["written"] = "last" });
        } // stopped at once, well within Azurite's 5 s save interval
        using var again = await AzuriteProcess.StartAsync(inMemory: false, location: dir.Sub("storage"));
        var reopened = PipelineContext.Create(new SslRec.Pipeline.Settings.StorageSettings { ConnectionString = again.ConnectionString });
        var json = await reopened.Blobs.TryReadJsonAsync<Dictionary<string, string>>(SslRec.Pipeline.Storage.BlobLayout.Artifacts, "last.json");
        Assert.Equal("last", json?["written"]);
    }

    [Fact]
    public async Task Retrain_refuses_an_absurd_override_in_one_line_before_anything_is_enqueued()
    {
        var ctx = await azurite.FreshContextAsync();
        Environment.SetEnvironmentVariable("AzureWebJobsStorage", azurite.Azurite.ConnectionString);
        try
        {
            foreach (var set in new[] { "epochs=1e9", "embedding_dim=1e6", "output-dim=1e6", "shuffle_buffer=2e9", "learning_rate=NaN", "LearningRate=NaN" })
            {
                var r = CliRunner.Run("retrain", "--dataset", "d", "--set", set);
                Assert.Equal(2, r.Code);
                Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
                Assert.Matches(@"^error: training override.*--[a-z-]+ must be ", r.Err);
            }
            Assert.Equal(0, (await ctx.Bus.Queue(QueueNames.Retrain).GetPropertiesAsync()).Value.ApproximateMessagesCount);

            var ok = CliRunner.Run("retrain", "--dataset", "d", "--set", "batch-size=512", "--set", "lr=0.01", "--set", "hidden=128,64");
            Assert.True(ok.Code == 0, ok.Err);
            var message = (await ctx.Bus.Queue(QueueNames.Retrain).ReceiveMessageAsync()).Value;
            var overrides = JsonDocument.Parse(SslRec.Pipeline.Messages.QueueText.Decode(message.Body.ToString())).RootElement.GetProperty("overrides");
            Assert.Equal("""{"batch_size":512,"learning_rate":0.01,"hidden":[128,64]}""", overrides.GetRawText());
        }
        finally
        {
            Environment.SetEnvironmentVariable("AzureWebJobsStorage", null);
        }
    }

    /// <summary>Splits a command line as a POSIX shell would for the quoting the demo prints (single quotes).</summary>
    private static string[] ShellWords(string line)
    {
        var words = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var c in line)
        {
            if (c == '\'') { quoted = !quoted; any = true; }
            else if (c == ' ' && !quoted)
            {
                if (any) words.Add(current.ToString());
                current.Clear();
                any = false;
            }
            else { current.Append(c); any = true; }
        }
        if (any) words.Add(current.ToString());
        return words.ToArray();
    }
}
