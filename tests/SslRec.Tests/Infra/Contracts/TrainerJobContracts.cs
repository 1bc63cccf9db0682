using SslRec.Pipeline;
using SslRec.Pipeline.Settings;
using SslRec.Tests.Infra.Arm;

namespace SslRec.Tests.Infra.Contracts;

/// <summary>
/// The GPU job uses one identity for everything (pulling its image, KEDA's queue scaler, the worker's
/// storage client), KEDA watches the queue the worker reads and counts only messages nobody is training,
/// the platform never retries on its own, the worker's time budget ends well before the replica timeout, and
/// an alert watches its failed executions.
/// </summary>
public static class TrainerJobContracts
{
    /// <summary>Time the worker needs after its budget: final checkpoint, evaluation, uploads, the hand-over message.</summary>
    public const long MinimumHandOverSeconds = 600;

    public const string TimeBudgetSetting = "SslRec__Pipeline__TrainTimeBudgetSeconds";

    public static void Check(ArmWorld world, Violations v) => v.Check("training job", () =>
    {
        var job = world.Single(AzureType.Job);
        var account = world.Single(AzureType.StorageAccount);
        var identities = Read.Object(job.Get("identity", "userAssignedIdentities")).Keys.ToList();
        v.Expect(ArmValue.Same(job.Get("identity", "type"), "UserAssigned") && identities.Count == 1,
            $"training job: expected exactly one user-assigned identity, found type {ArmValue.Describe(job.Get("identity", "type"))} with [{string.Join(", ", identities)}]");
        var identity = identities.Count == 1 ? world.Find(identities[0]) : null;
        if (identity?.Type != AzureType.UserAssignedIdentity)
        {
            v.Add($"training job: its identity [{string.Join(", ", identities)}] is not a user-assigned identity the template deploys");
            return;
        }

        var configuration = new[] { "properties", "configuration" };
        var registries = Read.List(job.Get([.. configuration, "registries"])).Select(Read.Object).ToList();
        v.Expect(registries.Count == 1, $"training job: expected one registry, found {registries.Count}");
        foreach (var registry in registries)
        {
            v.Equal(identity.Id, registry.GetValueOrDefault("identity"), "training job registry pull identity (registries[].identity = the job's identity)");
            v.Equal(DeploymentTimeValues.LoginServer(world.Single(AzureType.Registry).Name), registry.GetValueOrDefault("server"), "training job registries[].server (the registry module's login server)");
        }

        var rules = Read.List(job.Get([.. configuration, "eventTriggerConfig", "scale", "rules"])).Select(Read.Object).ToList();
        v.Expect(rules.Count == 1, $"training job: expected one scale rule, found {rules.Count}");
        foreach (var rule in rules)
        {
            var metadata = Read.Object(rule.GetValueOrDefault("metadata"));
            v.Equal("azure-queue", rule.GetValueOrDefault("type"), "training job scale rule type");
            v.Equal(identity.Id, rule.GetValueOrDefault("identity"), "training job scale rule identity (KEDA reads the queue as the job's identity)");
            v.Equal(account.Name, metadata.GetValueOrDefault("accountName"), "training job scale rule accountName (the storage module's account)");
            v.Equal(QueueNames.Train, metadata.GetValueOrDefault("queueName"), "training job scale rule queueName (the queue train-worker reads, QueueNames.Train)");
            v.Equal("visibleonly", metadata.GetValueOrDefault("queueLengthStrategy"), "training job scale rule queueLengthStrategy (a message being trained must not start another execution)");
            v.Equal("1", metadata.GetValueOrDefault("queueLength"), "training job scale rule queueLength");
        }
        v.Equal(0L, job.Get([.. configuration, "replicaRetryLimit"]), "training job replicaRetryLimit (retries are the queue's: they count toward its poison threshold)");
        v.Equal(1L, job.Get([.. configuration, "eventTriggerConfig", "parallelism"]), "training job parallelism");

        var containers = Read.List(job.Get("properties", "template", "containers")).Select(Read.Object).ToList();
        v.Expect(containers.Count == 1, $"training job: expected one container, found {containers.Count}");
        if (containers.Count != 1) return;
        v.Equal("train-worker", Read.List(containers[0].GetValueOrDefault("args")).FirstOrDefault(), "training job container command");
        var env = Read.NameValues(containers[0].GetValueOrDefault("env"));
        Bind(env, account, identity, ArmValue.ToLong(job.Get([.. configuration, "replicaTimeout"])), v);

        var alerts = world.OfType(AzureType.MetricAlert).Where(a => Read.List(a.Get("properties", "scopes")).Contains(job.Id)).ToList();
        v.Expect(alerts.Any(a => AlertsOnFailedExecutions(world, a)),
            "training job: no enabled metric alert on its failed executions (metric Executions, dimension state = Failed, scoped to the job, with an action group the template deploys)");
    });

    /// <summary>The container's environment as `train-worker` binds it (PipelineSettings.From, as TrainWorker.Create does).</summary>
    private static void Bind(Dictionary<string, string?> env, Resource account, Resource identity, long replicaTimeout, Violations v)
    {
        PipelineSettings bound;
        try
        {
            bound = PipelineSettings.From(Read.Configuration(env));
        }
        catch (InvalidOperationException e)
        {
            v.Add($"training job: its container env stops train-worker at start-up: {e.Message}");
            return;
        }
        v.Equal(DeploymentTimeValues.QueueEndpoint(account.Name), bound.Storage.QueueServiceUri?.ToString(), "training job queue endpoint (the storage module's account)");
        v.Equal(DeploymentTimeValues.BlobEndpoint(account.Name), bound.Storage.BlobServiceUri?.ToString(), "training job blob endpoint");
        var expected = new AzureCredentials(AzureCredentials.ManagedIdentity, DeploymentTimeValues.ClientId(identity.Id));
        v.Expect(bound.Storage.Credentials == expected,
            $"training job container credential (AzureWebJobsStorage__clientId = the job identity's client id): expected {expected}, found {bound.Storage.Credentials}");

        // The Bicep passes the budget so that it follows replicaTimeout; the code's default does not.
        v.Expect(env.ContainsKey(TimeBudgetSetting), $"training job: the container does not set {TimeBudgetSetting} (replicaTimeout minus the hand-over reserve)");
        var budget = bound.Options.TrainTimeBudgetSeconds;
        v.Expect(budget > 0 && budget <= replicaTimeout - MinimumHandOverSeconds,
            $"training job time budget: {budget} s must be > 0 and end at least {MinimumHandOverSeconds} s before the replica timeout ({replicaTimeout} s)");
    }

    private static bool AlertsOnFailedExecutions(ArmWorld world, Resource alert)
    {
        var criteria = Read.List(alert.Get("properties", "criteria", "allOf")).Select(Read.Object);
        var failed = criteria.Any(c => ArmValue.Same(c.GetValueOrDefault("metricName"), "Executions")
                                       && string.Equals(c.GetValueOrDefault("metricNamespace") as string, AzureType.Job, StringComparison.OrdinalIgnoreCase)
                                       && Read.List(c.GetValueOrDefault("dimensions")).Select(Read.Object).Any(d =>
                                           ArmValue.Same(d.GetValueOrDefault("name"), "state") && ArmValue.Same(d.GetValueOrDefault("operator"), "Include")
                                           && Read.List(d.GetValueOrDefault("values")).Contains("Failed")));
        var actions = Read.List(alert.Get("properties", "actions")).Select(Read.Object).ToList();
        return failed && ArmValue.Same(alert.Get("properties", "enabled"), true) && actions.Count > 0
               && actions.All(a => a.GetValueOrDefault("actionGroupId") is string id && world.Find(id)?.Type == AzureType.ActionGroup);
    }
}
