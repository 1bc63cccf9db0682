using System.Text.Json;
using System.Text.RegularExpressions;
using SslRec.Pipeline;
using SslRec.Tests.Infra.Arm;
using SslRec.Tests.Infra.Contracts;

namespace SslRec.Tests.Infra;

/// <summary>
/// Compiles and lints every Bicep file with the Bicep CLI from the Azure.Bicep.CommandLine.linux-x64 NuGet
/// package (downloaded by this project's restore), and checks what the templates declare.
/// </summary>
public class BicepTests
{
    private static string Root() => CompiledBicep.Root();

    private static (int Code, string Output) RunBicep(params string[] args) => CompiledBicep.Run(args);

    public static IEnumerable<object[]> BicepFiles() =>
        Directory.GetFiles(Path.Combine(Root(), "infra"), "*.bicep", SearchOption.AllDirectories)
            .Select(f => new object[] { Path.GetRelativePath(Root(), f) });

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Every_bicep_file_builds_and_lints_without_errors_or_warnings(string file)
    {
        var path = Path.Combine(Root(), file);
        var build = RunBicep("build", path, "--stdout");
        Assert.True(build.Code == 0, build.Output);
        Assert.DoesNotMatch(@"(?m)^.*: (Warning|Error) ", build.Output.Split("\n{")[0]);
        var lint = RunBicep("lint", path);
        Assert.True(lint.Code == 0, lint.Output);
        Assert.Equal("", lint.Output.Trim());
    }

    [Fact]
    public void The_template_declares_the_product_card_resources()
    {
        var (code, json) = RunBicep("build", Path.Combine(Root(), "infra", "main.bicep"), "--stdout");
        Assert.Equal(0, code);
        var arm = JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement); // normalised, nested templates included

        string[] expected =
        [
            "\"allowSharedKeyAccess\":false", "\"allowBlobPublicAccess\":false", "\"minimumTlsVersion\":\"TLS1_2\"",
            "\"tier\":\"FlexConsumption\"", "\"name\":\"FC1\"", "\"name\":\"dotnet-isolated\"", "\"version\":\"10.0\"",
            "\"type\":\"SystemAssignedIdentity\"", "AzureWebJobsStorage__accountName", "ServiceBusConnection__fullyQualifiedNamespace",
            "\"requiresDuplicateDetection\":true", "embeddings-published", "\"adminUserEnabled\":false",
            "Microsoft.EventGrid/systemTopics", "\"subjectEndsWith\":\"/_READY\"", "/blobServices/default/containers/datasets/blobs/",
            "\"endpointType\":\"StorageQueue\"", "\"triggerType\":\"Event\"", "\"type\":\"azure-queue\"", "\"parallelism\":1",
            "Consumption-GPU-NC8as-T4", "train-worker", "Microsoft.Insights/components", "Microsoft.OperationalInsights/workspaces",
            "deadLetterWithResourceIdentity", "\"endpointType\":\"StorageBlob\"", "eventgrid-deadletter", "deployerPrincipalId",
        ];
        foreach (var e in expected) Assert.Contains(e, arm);
        // App settings carry no keys or connection strings (Application Insights' string holds no secret and uses AAD).
        Assert.DoesNotContain("AccountKey=", arm);
        Assert.DoesNotContain("SharedAccessKey", arm);
        // The one key read is Log Analytics' shared key, which the Container Apps environment's log
        // configuration requires; it never reaches an app setting or a container.
        Assert.Single(Regex.Matches(arm, @"listKeys\("));
    }

    [Fact]
    public void The_job_container_takes_the_size_of_each_gpu_profile_it_allows()
    {
        var trainer = CompiledBicep.Sample.Module("trainer");
        var allowed = trainer.Template["parameters"]!["gpuProfileType"]!["allowedValues"]!.AsArray().Select(v => (string)v!).ToList();
        var sizes = Read.Object(trainer.Variable("containerSize"));
        Assert.Equal(allowed.Order(), sizes.Keys.Order());
        // Container Apps serverless GPU profiles: NC8as-T4 = 8 vCPU / 56 GiB, NC24-A100 = 24 vCPU / 220 GiB.
        Assert.Equal((8L, "56Gi"), Size(sizes["Consumption-GPU-NC8as-T4"]));
        Assert.Equal((24L, "220Gi"), Size(sizes["Consumption-GPU-NC24-A100"]));
        foreach (var profile in allowed)
        {
            var world = new ArmWorld(CompiledBicep.Main, CompiledBicep.SampleParameters(("gpuProfileType", profile)));
            var container = Read.Object(Assert.Single(Read.List(world.Single(AzureType.Job).Get("properties", "template", "containers"))));
            Assert.Equal(Size(sizes[profile]), Size(container["resources"]));
        }
    }

    private static (long Cpu, string Memory) Size(object? resources) =>
        ((long)Read.Object(resources)["cpu"]!, (string)Read.Object(resources)["memory"]!);

    [Fact]
    public void The_template_creates_exactly_the_pipelines_queues()
    {
        var main = File.ReadAllText(Path.Combine(Root(), "infra", "main.bicep"));
        var list = Regex.Match(main, @"var queues = \[(.*?)\]").Groups[1].Value;
        var queues = Regex.Matches(list, "'([^']+)'").Select(m => m.Groups[1].Value);
        Assert.Equal(QueueNames.All.Order(), queues.Order());
    }
}
