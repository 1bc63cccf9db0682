using System.Text.Json.Nodes;

namespace SslRec.Tests.Infra;

/// <summary>
/// The processes that run batch stages (the Functions app, `sslrec host` / `train-worker`) keep their
/// memory flat across messages with the GC's ConserveMemory setting (bench/README.md, "Scale"); without it
/// a map instance's memory grows with every shard it handles.
/// </summary>
public class GcSettingsTests
{
    [Theory]
    [InlineData("SslRec.Functions.runtimeconfig.json")]
    [InlineData("sslrec.runtimeconfig.json")]
    public void Stage_processes_run_with_the_memory_conserving_gc(string runtimeConfig)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, runtimeConfig)))!;
        Assert.Equal(7, (int)config["runtimeOptions"]!["configProperties"]!["System.GC.ConserveMemory"]!);
    }
}
