using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SslRec.Functions;
using SslRec.Pipeline;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Stages;
using SslRec.Tests.Pipeline;

namespace SslRec.Tests.Functions;

public class FunctionsAppTests
{
    /// <summary>The Functions app's build output (same configuration as this test assembly).</summary>
    public static string FunctionsOutput()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory);           // tests/SslRec.Tests/bin/{Config}/net10.0/
        var configuration = here.Parent!.Name;
        var root = here;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "SslRec.Functions.sln"))) root = root.Parent;
        return Path.Combine(root!.FullName, "src", "SslRec.Functions", "bin", configuration, here.Name);
    }

    private static Dictionary<string, string> LocalHostTriggers() =>
        typeof(SslRec.LocalHost.PipelineFunctions).GetMethods()
            .Where(m => m.GetCustomAttribute<Microsoft.Azure.WebJobs.FunctionNameAttribute>() is not null)
            .ToDictionary(m => m.GetCustomAttribute<Microsoft.Azure.WebJobs.FunctionNameAttribute>()!.Name,
                m => m.GetParameters().Select(p => p.GetCustomAttribute<Microsoft.Azure.WebJobs.QueueTriggerAttribute>()).Single(a => a is not null)!.QueueName);

    [Fact]
    public void Both_hosts_have_exactly_one_trigger_per_stage_of_the_stage_table_that_does_not_need_the_trainer()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(FunctionsOutput(), "functions.metadata")));
        var functions = new Dictionary<string, string>();
        var timers = new Dictionary<string, string>();
        foreach (var f in doc.RootElement.EnumerateArray())
        {
            var trigger = Assert.Single(f.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("type").GetString()!.EndsWith("Trigger"));
            Assert.Equal("dotnet-isolated", f.GetProperty("language").GetString());
            if (trigger.GetProperty("type").GetString() == "timerTrigger")
            {
                timers[f.GetProperty("name").GetString()!] = trigger.GetProperty("schedule").GetString()!;
                continue;
            }
            Assert.Equal("queueTrigger", trigger.GetProperty("type").GetString());
            Assert.Equal("AzureWebJobsStorage", trigger.GetProperty("connection").GetString());
            Assert.Equal("dotnet-isolated", f.GetProperty("language").GetString());
            functions[f.GetProperty("name").GetString()!] = trigger.GetProperty("queueName").GetString()!;
        }
        // Expected from the stage table: every stage but training (the TrainWorker's, here and in the GPU job).
        var expected = StageTable.All.Where(s => !s.NeedsTrainer).ToDictionary(s => s.Name, s => s.Queue).OrderBy(e => e.Key).ToList();
        Assert.Equal(expected, functions.OrderBy(e => e.Key));
        Assert.Equal(expected, LocalHostTriggers().OrderBy(e => e.Key));
        Assert.Equal(StageTable.All.Select(s => s.Queue).Order(), QueueNames.All.Where(q => q != QueueNames.Published).Order());
        // Besides the stages, only the run watchdog, every RunWatchdog.Interval.
        Assert.Equal(new Dictionary<string, string> { [RunWatchdog.Name] = "*/15 * * * * *" }, timers);
        Assert.Equal(TimeSpan.FromSeconds(15), RunWatchdog.Interval);
    }

    [Fact]
    public void The_build_output_has_the_host_files_and_no_torch()
    {
        var output = FunctionsOutput();
        var extensions = File.ReadAllText(Path.Combine(output, "extensions.json"));
        Assert.Contains("\"AzureStorageQueues\"", extensions);
        Assert.True(File.Exists(Path.Combine(output, "worker.config.json")));
        Assert.True(File.Exists(Path.Combine(output, "host.json")));
        Assert.True(Directory.Exists(Path.Combine(output, ".azurefunctions")));
        Assert.Empty(Directory.EnumerateFiles(output, "*orch*", SearchOption.AllDirectories));
    }

    [Fact]
    public void The_generated_extension_project_restores_without_NU1603_warnings()
    {
        // obj/{Configuration}/net10.0/WorkerExtensions: the project the Worker SDK generates and restores on build
        var output = new DirectoryInfo(FunctionsOutput());                   // src/SslRec.Functions/bin/{Config}/net10.0
        var assets = Path.Combine(output.Parent!.Parent!.Parent!.FullName, "obj", output.Parent.Name, output.Name, "WorkerExtensions", "obj", "project.assets.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(assets));
        var codes = doc.RootElement.TryGetProperty("logs", out var logs) ? logs.EnumerateArray().Select(l => l.GetProperty("code").GetString()).ToList() : [];
        Assert.DoesNotContain("NU1603", codes);
        // and the host still gets the queue extension, at the version the feed serves
        Assert.Contains(doc.RootElement.GetProperty("libraries").EnumerateObject(), l => l.Name == "Microsoft.Azure.WebJobs.Extensions.Storage.Queues/5.3.10");
    }
}

[Collection("azurite")]
public class FunctionsAgainstAzuriteTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_function_handles_the_host_delivered_message_like_the_local_host()
    {
        var ctx = await azurite.FreshContextAsync();
        var services = new ServiceCollection().AddLogging().AddSslRecPipeline(PipelineSettings.Local(azurite.Storage), maxDequeueCount: 5).BuildServiceProvider();
        var functions = ActivatorUtilities.CreateInstance<SslRec.Functions.PipelineFunctions>(services);

        using var dir = new TempDirectory();
        SslRec.Core.Synthetic.SyntheticGenerator.Generate(dir.Path, new SslRec.Core.Synthetic.SyntheticOptions { Interactions = 400, Items = 30 });
        var (_, _, runId) = await DatasetDrop.UploadAsync(ctx, dir.Path, "fn");
        // The Functions host hands the function the decoded queue text: exactly the Event Grid event JSON.
        var queued = (await ctx.Bus.Queue(QueueNames.Drop).ReceiveMessageAsync()).Value;
        await functions.Drop(queued.Body.ToString(), queued.MessageId, queued.DequeueCount, default);
        foreach (var m in (await ctx.Bus.Queue(QueueNames.ShardMap).ReceiveMessagesAsync(32)).Value)
            await functions.ShardMap(m.Body.ToString(), m.MessageId, m.DequeueCount, default);
        var reduce = (await ctx.Bus.Queue(QueueNames.ShardReduce).ReceiveMessageAsync()).Value;
        await functions.ShardReduce(reduce.Body.ToString(), reduce.MessageId, reduce.DequeueCount, default);
        foreach (var m in (await ctx.Bus.Queue(QueueNames.Remap).ReceiveMessagesAsync(32)).Value)
            await functions.Remap(m.Body.ToString(), m.MessageId, m.DequeueCount, default);

        var run = await ctx.Runs.RequireAsync(runId);
        Assert.Equal(RunState.Training, run.State);
        Assert.Equal(400, run.Data!.Rows);
        Assert.NotNull((await ctx.Bus.Queue(QueueNames.Train).ReceiveMessageAsync()).Value);

        // On the last allowed attempt, a failing message's error is recorded before the host poisons it.
        await Assert.ThrowsAsync<InvalidOperationException>(() => functions.Publish("""{"v":1,"run":"nobody.v1"}""", "m-1", 5, default));
        Assert.NotNull(await ctx.Blobs.TryDownloadAsync(SslRec.Pipeline.Storage.BlobLayout.Artifacts, PoisonRecorder.Blob(QueueNames.Publish, "m-1")));
        // A message no attempt can read is recorded and completed at its first attempt (the function returns).
        await functions.Publish("{", "m-2", 1, default);
        Assert.NotNull(await ctx.Blobs.TryDownloadAsync(SslRec.Pipeline.Storage.BlobLayout.Artifacts, PoisonRecorder.Blob(QueueNames.Publish, "m-2")));
    }
}
