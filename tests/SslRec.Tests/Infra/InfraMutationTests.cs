using SslRec.Tests.Infra.Contracts;
using Xunit.Abstractions;

namespace SslRec.Tests.Infra;

/// <summary>
/// The contract checks are judged by careless one-line edits of infra/: each mutation below is applied to a
/// copy of infra/, compiled with the Bicep CLI (all copies in one run) and checked; each must be caught, and
/// by the contract it breaks (the expected words must appear in a violation), not by accident.
/// </summary>
public class InfraMutationTests(ITestOutputHelper output)
{
    /// <summary>
    /// One edit: in <paramref name="File"/> (relative to infra/), the text <paramref name="Find"/> (unique in
    /// the file; it may include neighbouring lines to be unique) becomes <paramref name="Replace"/>, changing or
    /// deleting exactly one line.
    /// </summary>
    public sealed record Mutation(string Name, string File, string Find, string Replace, string Expect);

    private const string Main = "main.bicep";
    private const string Trainer = "modules/trainerjob.bicep";
    private const string FunctionApp = "modules/functionapp.bicep";

    public static readonly Mutation[] Mutations =
    [
        new("function app given the registry's name as its storage account", Main,
            "    storageAccountName: storage.outputs.name\n    deploymentContainerUrl", "    storageAccountName: registry.outputs.name\n    deploymentContainerUrl",
            "function app setting AzureWebJobsStorage__accountName"),
        new("function app given the blob endpoint as its Service Bus namespace", Main,
            "serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace", "serviceBusFullyQualifiedNamespace: storage.outputs.blobEndpoint",
            "function app Service Bus namespace"),
        new("function app package in the account's root instead of its container", Main,
            "deploymentContainerUrl: storage.outputs.deploymentContainerUrl", "deploymentContainerUrl: storage.outputs.blobEndpoint",
            "deployment package container"),
        new("an app setting name misspelt", FunctionApp,
            "{ name: 'ServiceBusConnection__fullyQualifiedNamespace',", "{ name: 'ServiceBusConnection__fullyQualifiedNamspace',",
            "ServiceBusConnection__fullyQualifiedNamespace is missing"),
        new("basic-auth publishing (scm) re-enabled", FunctionApp,
            "  name: 'scm'\n  properties: { allow: false }", "  name: 'scm'\n  properties: { allow: true }",
            "publishing credentials (scm)"),
        new("Service Bus sender back on the namespace", FunctionApp,
            "  scope: topic\n", "  scope: serviceBus\n",
            "Azure Service Bus Data Sender on servicebus (functionapp/notifyAccess) is wider than"),
        new("scale rule without its identity", Trainer,
            "              identity: identity.id\n", "",
            "scale rule identity"),
        new("scale rule with the environment's system identity", Trainer,
            "              identity: identity.id\n", "              identity: 'system'\n",
            "scale rule identity"),
        new("scale rule watching another queue", Trainer,
            "                queueName: trainQueueName", "                queueName: publishQueueName",
            "scale rule queueName"),
        new("trainer module given the publish queue as its training queue", Main,
            "    trainQueueName: 'sslrec-train'", "    trainQueueName: 'sslrec-publish'",
            "scale rule queueName"),
        new("queueLengthStrategy removed", Trainer,
            "                queueLengthStrategy: 'visibleonly'\n", "",
            "queueLengthStrategy"),
        new("replicaRetryLimit raised", Trainer,
            "param replicaRetryLimit int = 0", "param replicaRetryLimit int = 2",
            "replicaRetryLimit"),
        new("container clientId from the identity's principal id", Trainer,
            "value: identity.properties.clientId }", "value: identity.properties.principalId }",
            "container credential (AzureWebJobsStorage__clientId"),
        new("container clientId removed", Trainer,
            "            { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }\n", "",
            "container credential (AzureWebJobsStorage__clientId"),
        new("registry pull without the job identity", Trainer,
            "registries: [{ server: registry.properties.loginServer, identity: identity.id }]", "registries: [{ server: registry.properties.loginServer }]",
            "registry pull identity"),
        new("registry server from another resource", Trainer,
            "registries: [{ server: registry.properties.loginServer, identity: identity.id }]", "registries: [{ server: storage.properties.primaryEndpoints.blob, identity: identity.id }]",
            "registries[].server"),
        new("trainer module given the storage account as its registry", Main,
            "    registryName: registry.outputs.name", "    registryName: storage.outputs.name",
            "uses the existing Microsoft.ContainerRegistry/registries"),
        new("time-budget env removed", Trainer,
            "            { name: 'SslRec__Pipeline__TrainTimeBudgetSeconds', value: string(replicaTimeoutSeconds - trainHandOverReserveSeconds) }\n", "",
            "does not set SslRec__Pipeline__TrainTimeBudgetSeconds"),
        new("time budget as long as the replica timeout", Trainer,
            "value: string(replicaTimeoutSeconds - trainHandOverReserveSeconds)", "value: string(replicaTimeoutSeconds)",
            "training job time budget"),
        new("a role assignment given the identity's client id as principal", Trainer,
            "roles.acrPull)\n    principalId: identity.properties.principalId", "roles.acrPull)\n    principalId: identity.properties.clientId",
            "none of SslRec's identities"),
        new("the deployer's roles granted to the function app's identity", Main,
            "    principalId: deployerPrincipalId\n", "    principalId: functionApp.outputs.principalId\n",
            "deployer cannot"),
        new("a role's scope moved from one queue to another", Trainer,
            "  scope: publishQueue\n", "  scope: trainPoisonQueue\n",
            "trainer cannot 'enqueue publish'"),
        new("role definition id swapped", Trainer,
            "'Microsoft.Authorization/roleDefinitions', roles.acrPull)", "'Microsoft.Authorization/roleDefinitions', roles.storageQueueDataReader)",
            "trainer cannot 'pull the trainer image'"),
        new("job blob role back on the whole account", Trainer,
            "  scope: artifacts\n", "  scope: storage\n",
            "Storage Blob Data Contributor on storage (trainer/artifactsAccess) is wider than"),
        new("job's training-queue role back to Storage Queue Data Contributor", Trainer,
            "'Microsoft.Authorization/roleDefinitions', trainQueueWorkerRole.name)", "'Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)",
            "lets the training job create or delete queues"),
        new("custom training-queue role allows deleting the queue", Trainer,
            "        actions: ['Microsoft.Storage/storageAccounts/queueServices/queues/read']",
            "        actions: ['Microsoft.Storage/storageAccounts/queueServices/queues/read', 'Microsoft.Storage/storageAccounts/queueServices/queues/delete']",
            "the custom role allows Microsoft.Storage/storageAccounts/queueServices/queues/delete"),
        new("Event Grid delivering to another queue", Main,
            "    dropQueueName: 'sslrec-drop'\n    deadLetterContainerName", "    dropQueueName: 'sslrec-retrain'\n    deadLetterContainerName",
            "event grid destination queue"),
        new("Event Grid dead-lettering into a pipeline container", Main,
            "    deadLetterContainerName: deadLetterContainer", "    deadLetterContainerName: 'artifacts'",
            "event grid dead-letter container"),
        new("a queue dropped from main's queue list", Main,
            "'sslrec-remap', ", "",
            "the queue sslrec-remap (QueueNames) is not created"),
        new("failed-execution alert on the registry instead of the job", Main,
            "    jobId: trainer.outputs.jobId", "    jobId: registry.outputs.id",
            "no enabled metric alert on its failed executions"),
        new("registrySku not passed to the registry", Main,
            "    sku: registrySku\n", "",
            "registry sku with registrySku=Premium"),
    ];

    [Fact]
    public void Every_careless_one_line_edit_fails_a_contract()
    {
        var source = Path.Combine(CompiledBicep.Root(), "infra");
        var work = Directory.CreateTempSubdirectory("sslrec-mutants-");
        try
        {
            // Copy 0 is unmutated: the same copy, compile and load must find nothing wrong with it.
            var copies = Mutations.Prepend(null).Select((m, i) => (Mutation: m, Dir: Path.Combine(work.FullName, $"m{i:D2}", "infra"))).ToList();
            foreach (var (mutation, dir) in copies)
            {
                CopyBicep(source, dir);
                if (mutation is not null) Apply(mutation, dir);
            }
            var (code, log) = CompiledBicep.Run("build", "--pattern", Path.Combine(work.FullName, "*", "infra", "main.bicep"));

            var report = new List<string>();
            var failures = new List<string>();
            foreach (var (mutation, dir) in copies)
            {
                var compiled = Path.Combine(dir, "main.json");
                Assert.True(File.Exists(compiled), $"{mutation?.Name ?? "the unmutated copy"} does not compile (exit {code}):\n{log}");
                var violations = InfraContracts.Check(CompiledBicep.Load(compiled));
                if (mutation is null)
                {
                    Assert.True(violations.Count == 0, "the unmutated copy: " + string.Join("\n", violations));
                    continue;
                }
                var caught = violations.FirstOrDefault(v => v.Contains(mutation.Expect, StringComparison.Ordinal));
                report.Add($"{mutation.Name}: {caught ?? "NOT CAUGHT"}");
                if (caught is null)
                    failures.Add($"{mutation.Name}: expected a violation containing '{mutation.Expect}', got:\n  " + (violations.Count == 0 ? "none" : string.Join("\n  ", violations)));
            }
            foreach (var line in report) output.WriteLine(line);
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public void There_are_enough_mutations_and_each_is_distinct() =>
        Assert.True(Mutations.Length >= 15 && Mutations.Select(m => (m.File, m.Find, m.Replace)).Distinct().Count() == Mutations.Length);

    private static void CopyBicep(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*.bicep", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>Applies the edit and checks it is one: the find text occurs once, and one line changes or goes.</summary>
    private static void Apply(Mutation m, string infra)
    {
        var path = Path.Combine(infra, m.File);
        var text = File.ReadAllText(path);
        var at = text.IndexOf(m.Find, StringComparison.Ordinal);
        Assert.True(at >= 0 && text.IndexOf(m.Find, at + 1, StringComparison.Ordinal) < 0, $"{m.Name}: '{m.Find}' must occur exactly once in {m.File}");
        var mutated = text[..at] + m.Replace + text[(at + m.Find.Length)..];
        var before = text.Split('\n');
        var after = mutated.Split('\n');
        var changed = before.Length == after.Length
            ? before.Zip(after).Count(p => p.First != p.Second) == 1
            : before.Length == after.Length + 1 && Enumerable.Range(0, before.Length).Any(i => before.Take(i).Concat(before.Skip(i + 1)).SequenceEqual(after));
        Assert.True(changed, $"{m.Name}: the edit must change or delete exactly one line of {m.File}");
        File.WriteAllText(path, mutated);
    }
}
