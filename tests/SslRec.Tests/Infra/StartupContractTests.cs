using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SslRec.Functions;
using SslRec.Pipeline;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Notifications;
using SslRec.Tests.Infra.Arm;
using SslRec.Tests.Infra.Contracts;
using SslRec.Worker;

namespace SslRec.Tests.Infra;

/// <summary>
/// The apps start with exactly what the Bicep gives them: the function app's app settings and the GPU
/// job's container env are taken from the compiled template, put into the process environment (as the
/// platform does; .NET configuration turns "__" into ":") and the hosts are built as their entry points
/// build them. An in-memory collection with "__" keys once hid a worker that died at start-up in Azure.
/// </summary>
[Collection("process environment")]
public class StartupContractTests
{
    private static string SampleAccount => CompiledBicep.Sample.Single(AzureType.StorageAccount).Name;

    public static Dictionary<string, string> FunctionAppSettings() =>
        Read.NameValues(CompiledBicep.Sample.Single(AzureType.Site).Get("properties", "siteConfig", "appSettings")).ToDictionary(p => p.Key, p => p.Value!);

    public static (Dictionary<string, string> Env, string[] Args) TrainerContainer()
    {
        var container = Read.Object(Assert.Single(Read.List(CompiledBicep.Sample.Single(AzureType.Job).Get("properties", "template", "containers"))));
        return (Read.NameValues(container["env"]).ToDictionary(p => p.Key, p => p.Value!),
            Read.List(container["args"]).Select(a => (string)a!).ToArray());
    }

    [Fact]
    public void The_functions_app_starts_with_the_bicep_app_settings_and_resolves_every_function()
    {
        var settings = FunctionAppSettings();
        Assert.Equal(SampleAccount, settings["AzureWebJobsStorage__accountName"]);
        using var _ = new ProcessEnvironment(settings);
        using var host = FunctionsAppHost.Build([]);

        var ctx = host.Services.GetRequiredService<PipelineContext>();
        Assert.Equal($"https://{SampleAccount}.blob.core.windows.net/", ctx.Blobs.Service.Uri.ToString());
        Assert.Equal($"https://{SampleAccount}.queue.core.windows.net/", ctx.Bus.Service.Uri.ToString());
        Assert.False(ctx.CreatesInfrastructure); // no identity in Azure may create queues or containers
        Assert.IsType<ServiceBusNotifier>(ctx.Notifier);
        var pipeline = host.Services.GetRequiredService<PipelineSettings>();
        Assert.Equal(new AzureCredentials("managedidentity", null), pipeline.Storage.Credentials);
        Assert.Equal(new AzureCredentials("managedidentity", null), pipeline.Notifications.Credentials);

        // Every class the generated functions.metadata points at can be built from the host's services.
        using var metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(SslRec.Tests.Functions.FunctionsAppTests.FunctionsOutput(), "functions.metadata")));
        var classes = metadata.RootElement.EnumerateArray().Select(f => f.GetProperty("entryPoint").GetString()!)
            .Select(e => e[..e.LastIndexOf('.')]).Distinct().ToList();
        Assert.NotEmpty(classes);
        foreach (var name in classes)
            Assert.NotNull(ActivatorUtilities.CreateInstance(host.Services, typeof(FunctionsAppHost).Assembly.GetType(name, throwOnError: true)!));
    }

    [Fact]
    public void The_train_worker_starts_with_the_bicep_container_env_and_args()
    {
        var (env, args) = TrainerContainer();
        Assert.Empty(SslRec.Cli.Program.Commands().Parse(args).Errors);
        Assert.Equal("train-worker", args[0]);
        using var _ = new ProcessEnvironment(env);

        var (ctx, _) = TrainWorker.Create(PipelineSettings.EnvironmentConfiguration(), new TorchModelTrainer(device: "cpu"));
        Assert.Equal($"https://{SampleAccount}.queue.core.windows.net/", ctx.Bus.Service.Uri.ToString());
        Assert.False(ctx.CreatesInfrastructure); // the job identity cannot create queues: it must not try
        var settings = PipelineSettings.FromEnvironment();
        var identity = CompiledBicep.Sample.Single(AzureType.UserAssignedIdentity);
        Assert.Equal(new AzureCredentials("managedidentity", DeploymentTimeValues.ClientId(identity.Id)), settings.Storage.Credentials);

        // The time budget the worker stops at comes from the Bicep (replicaTimeout minus the hand-over reserve),
        // ends at least TrainerJobContracts.MinimumHandOverSeconds before the platform stops the replica.
        var trainer = CompiledBicep.Sample.Module("trainer");
        var timeout = (long)trainer.Parameter("replicaTimeoutSeconds")!;
        Assert.Equal(timeout - (long)trainer.Parameter("trainHandOverReserveSeconds")!, ctx.Options.TrainTimeBudgetSeconds);
        Assert.InRange(ctx.Options.TrainTimeBudgetSeconds, 1, timeout - TrainerJobContracts.MinimumHandOverSeconds);
    }

    [Theory]
    [InlineData(new string[0], "missing setting AzureWebJobsStorage")]
    [InlineData(new[] { "AzureWebJobsStorage__accountName=acct", "SSLREC_NOTIFY=servicebus" }, "needs the setting ServiceBusConnection__fullyQualifiedNamespace")]
    [InlineData(new[] { "AzureWebJobsStorage=UseDevelopmentStorage=true", "SSLREC_NOTIFY=email" }, "SSLREC_NOTIFY must be 'queue' or 'servicebus'")]
    [InlineData(new[] { "AzureWebJobsStorage__accountName=acct", "AzureWebJobsStorage__credential=secret" }, "AzureWebJobsStorage__credential must be 'managedidentity'")]
    [InlineData(new[] { "AzureWebJobsStorage__blobServiceUri=https://acct.blob.core.windows.net" }, "AzureWebJobsStorage__queueServiceUri go together")]
    [InlineData(new[] { "AzureWebJobsStorage=UseDevelopmentStorage=true", "SslRec__Pipeline__GateK=many" }, "SslRec:Pipeline:GateK")]
    public void Missing_or_wrong_settings_stop_the_functions_app_at_start_up_naming_the_setting(string[] variables, string expected)
    {
        using var _ = new ProcessEnvironment(variables.Select(v => v.Split('=', 2)).ToDictionary(p => p[0], p => p[1]));
        var e = Assert.ThrowsAny<InvalidOperationException>(() => FunctionsAppHost.Build([]).Dispose());
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Pipeline_options_are_app_settings()
    {
        using var _ = new ProcessEnvironment(new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true", ["SslRec__Pipeline__GateMaxRecallDrop"] = "0.05", ["SslRec__Pipeline__CheckpointEvery"] = "200",
        });
        using var host = FunctionsAppHost.Build([]);
        var options = host.Services.GetRequiredService<PipelineContext>().Options;
        Assert.Equal(0.05, options.GateMaxRecallDrop);
        Assert.Equal(200, options.CheckpointEvery);
        Assert.Equal(new PipelineOptions().GateK, options.GateK);
    }
}
