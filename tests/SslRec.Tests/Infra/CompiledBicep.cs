using System.Diagnostics;
using System.Text.Json.Nodes;
using SslRec.Tests.Infra.Arm;

namespace SslRec.Tests.Infra;

/// <summary>
/// The Bicep CLI (from the Azure.Bicep.CommandLine NuGet package the test project downloads), infra/main.bicep
/// compiled with it, and that template deployed on paper (<see cref="ArmWorld"/>) with sample parameters, which
/// the contract checks (Contracts/) read. Any other compiled main.bicep (a mutated copy) can be loaded the same way.
/// </summary>
public static class CompiledBicep
{
    public static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir!.FullName, "SslRec.Functions.sln"))) dir = dir.Parent;
        return dir.FullName;
    }

    public static string BicepCli()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                       ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var bicep = Path.Combine(packages, "azure.bicep.commandline.linux-x64", "0.49.2", "tools", "bicep");
        Assert.True(File.Exists(bicep), $"the Bicep CLI is restored with the test project: {bicep}");
        return bicep;
    }

    public static (int Code, string Output) Run(params string[] args)
    {
        var psi = new ProcessStartInfo(BicepCli()) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["BICEP_TRACING_ENABLED"] = "false";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stderr + stdout.Result);
    }

    /// <summary>Compiles a main.bicep and returns its ARM template.</summary>
    public static JsonObject Compile(string mainBicep)
    {
        var (code, json) = Run("build", mainBicep, "--stdout");
        Assert.True(code == 0, json);
        return JsonNode.Parse(json)!.AsObject();
    }

    /// <summary>A compiled template (main.json) from a file.</summary>
    public static JsonObject Load(string mainJson) => JsonNode.Parse(File.ReadAllText(mainJson))!.AsObject();

    private static readonly Lazy<JsonObject> Compiled = new(() => Compile(Path.Combine(Root(), "infra", "main.bicep")));

    public static JsonObject Main => Compiled.Value;

    /// <summary>A sample object id of the person deploying (any GUID: only its identity with itself matters).</summary>
    public const string DeployerPrincipalId = "00000000-0000-0000-0000-00000000de91";

    /// <summary>main.bicep's parameters as a deployment would pass them (docs/deploy.md); the rest keep their defaults.</summary>
    public static Dictionary<string, object?> SampleParameters(params (string Name, object? Value)[] overrides)
    {
        var parameters = new Dictionary<string, object?>
        {
            ["trainerImage"] = "sslrecacrsample.azurecr.io/sslrec-trainer:1",
            ["deployerPrincipalId"] = DeployerPrincipalId,
        };
        foreach (var (name, value) in overrides) parameters[name] = value;
        return parameters;
    }

    private static readonly Lazy<ArmWorld> SampleWorld = new(() => new ArmWorld(Main, SampleParameters()));

    /// <summary>infra/main.bicep deployed on paper with <see cref="SampleParameters"/>.</summary>
    public static ArmWorld Sample => SampleWorld.Value;
}
