using System.Text.Json;
using System.Text.RegularExpressions;
using SslRec.Tests.Infra.Contracts;

namespace SslRec.Tests.Infra;

/// <summary>
/// docs/deploy.md and docs/scale.md state what the template and the app really are: every function the app
/// exposes, the instance cap the Bicep sets (scale.md's estimates assumed 100 while the Bicep capped the app
/// at 40), and the time budget the job's container gets.
/// </summary>
public class DeployDocTests
{
    private static string Doc(string name) => File.ReadAllText(Path.Combine(CompiledBicep.Root(), "docs", name));

    [Fact]
    public void The_deploy_doc_lists_every_function_of_the_app()
    {
        using var metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(SslRec.Tests.Functions.FunctionsAppTests.FunctionsOutput(), "functions.metadata")));
        var functions = metadata.RootElement.EnumerateArray().Select(f => f.GetProperty("name").GetString()!).ToList();
        Assert.Contains("remap", functions);
        var row = Doc("deploy.md").Split('\n').Single(l => l.StartsWith("| Function app on Flex Consumption", StringComparison.Ordinal));
        var listed = Regex.Match(row, @"functions ((?:`[^`]+`(?:, )?)+)").Groups[1].Value;
        Assert.Equal(functions.Order(), Regex.Matches(listed, "`([^`]+)`").Select(m => m.Groups[1].Value).Order());
    }

    [Fact]
    public void The_docs_state_the_instance_cap_and_time_budget_the_bicep_sets()
    {
        var site = CompiledBicep.Sample.Single(AzureType.Site);
        var cap = (long)site.Get("properties", "functionAppConfig", "scaleAndConcurrency", "maximumInstanceCount")!;
        Assert.Contains($"at most {cap} instances", Doc("deploy.md"));
        var scale = Doc("scale.md");
        Assert.Contains($"at most {cap} of them", scale);
        Assert.Equal(2, Regex.Matches(scale, $@"/ \({cap} × 2\)").Count);   // the map and remap estimates use the cap

        var trainer = CompiledBicep.Sample.Module("trainer");
        var timeout = (long)trainer.Parameter("replicaTimeoutSeconds")!;
        var reserve = (long)trainer.Parameter("trainHandOverReserveSeconds")!;
        Assert.Contains($"({timeout:N0} − {reserve:N0} = {timeout - reserve:N0} s)", Doc("deploy.md"));
    }
}
