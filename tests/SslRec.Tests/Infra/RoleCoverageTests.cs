using System.Text.RegularExpressions;

namespace SslRec.Tests.Infra;

/// <summary>
/// Every identity can do what its code does, and holds no role that nothing needs. The operations each
/// identity performs are listed here (with the code that performs them); the role assignments come from the
/// compiled Bicep; the built-in roles' permissions are constants copied from Microsoft's role reference.
/// A job identity that could not create queues once made every GPU execution fail with 403 before taking a
/// message, and one that could not renew visibility trained every run twice.
/// </summary>
public class RoleCoverageTests
{
    private const string Blobs = "Microsoft.Storage/storageAccounts/blobServices/containers";
    private const string Queues = "Microsoft.Storage/storageAccounts/queueServices/queues";

    /// <summary>
    /// Built-in roles: actions and data actions, from MicrosoftDocs/azure-docs
    /// articles/role-based-access-control/built-in-roles/{storage,integration,containers,monitor}.md (2026-07).
    /// </summary>
    private static readonly Dictionary<string, (string Name, string[] Permissions)> BuiltInRoles = new()
    {
        ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = ("Storage Blob Data Owner",
            [$"{Blobs}/*", "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action", $"{Blobs}/blobs/*"]),
        ["ba92f5b4-2d11-453d-a403-e96b0029c9fe"] = ("Storage Blob Data Contributor",
            [$"{Blobs}/delete", $"{Blobs}/read", $"{Blobs}/write", "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
             $"{Blobs}/blobs/delete", $"{Blobs}/blobs/read", $"{Blobs}/blobs/write", $"{Blobs}/blobs/move/action", $"{Blobs}/blobs/add/action"]),
        ["974c5e8b-45b9-4653-ba55-5f855dd0fb88"] = ("Storage Queue Data Contributor",
            [$"{Queues}/delete", $"{Queues}/read", $"{Queues}/write",
             $"{Queues}/messages/delete", $"{Queues}/messages/read", $"{Queues}/messages/write", $"{Queues}/messages/process/action"]),
        ["8a0f0c08-91a1-4084-bc3d-661d67233fed"] = ("Storage Queue Data Message Processor", [$"{Queues}/messages/read", $"{Queues}/messages/process/action"]),
        ["c6a89b2d-59bc-44d0-9896-0f6e12d7b80a"] = ("Storage Queue Data Message Sender", [$"{Queues}/messages/add/action"]),
        ["19e7f393-937e-4f77-808e-94535e297925"] = ("Storage Queue Data Reader", [$"{Queues}/read", $"{Queues}/messages/read"]),
        ["69a216fc-b8fb-44d8-bc22-1f3c2cd27a39"] = ("Azure Service Bus Data Sender",
            ["Microsoft.ServiceBus/*/queues/read", "Microsoft.ServiceBus/*/topics/read", "Microsoft.ServiceBus/*/topics/subscriptions/read", "Microsoft.ServiceBus/*/send/action"]),
        ["7f951dda-4ed3-4680-a7ca-43fe172d538d"] = ("AcrPull", ["Microsoft.ContainerRegistry/registries/pull/read"]),
        ["3913510d-42f4-4e42-8a64-420c390055eb"] = ("Monitoring Metrics Publisher",
            ["Microsoft.Insights/Register/Action", "Microsoft.Support/*", "Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Insights/Metrics/Write", "Microsoft.Insights/Telemetry/Write"]),
    };

    /// <summary>
    /// One operation: who, what for, where ("storage" = the account; "queue:NAME", "container:NAME"; or the
    /// service), and the permissions any one of which allows it (the "Authorize with Microsoft Entra ID"
    /// table of the Storage REST reference: e.g. Delete Message is messages/delete or messages/process/action).
    /// </summary>
    private sealed record Operation(string Identity, string What, string Scope, params string[] AnyOf);

    private static readonly Operation[] Operations =
    [
        // The function app: the Functions host (AzureWebJobsStorage) and the stages it runs.
        new("functionapp", "host: its own containers (azure-webjobs-hosts, -secrets)", "storage", $"{Blobs}/write"),
        new("functionapp", "stages: read datasets, run records, candidates", "storage", $"{Blobs}/blobs/read"),
        new("functionapp", "stages: write run records, shards, embeddings; host: leases", "storage", $"{Blobs}/blobs/write"),
        new("functionapp", "host: delete its lock and secret blobs", "storage", $"{Blobs}/blobs/delete"),
        new("functionapp", "queue triggers: create the -poison queues", "storage", $"{Queues}/write"),
        new("functionapp", "queue triggers: queue length for scaling", "storage", $"{Queues}/read"),
        new("functionapp", "queue triggers: receive (Get Messages)", "storage", $"{Queues}/messages/process/action"),
        new("functionapp", "queue triggers: keep a running message invisible (Update Message)", "storage", $"{Queues}/messages/write"),
        new("functionapp", "queue triggers: delete a handled message", "storage", $"{Queues}/messages/delete", $"{Queues}/messages/process/action"),
        new("functionapp", "stages: send the next stage's messages (MessageBus)", "storage", $"{Queues}/messages/add/action", $"{Queues}/messages/write"),
        new("functionapp", "publish: notify the embeddings-published topic (ServiceBusNotifier)", "servicebus", "Microsoft.ServiceBus/namespaces/messages/send/action"),
        new("functionapp", "telemetry to Application Insights (AAD auth)", "insights", "Microsoft.Insights/Telemetry/Write"),

        // The GPU job: `sslrec train-worker` (TrainWorker, TrainStage, BlobCheckpointStore) and its KEDA scaler.
        new("trainer", "read datasets and run records", "storage", $"{Blobs}/blobs/read"),
        new("trainer", "write checkpoints, candidates, run records; lease the train lock", "storage", $"{Blobs}/blobs/write"),
        new("trainer", "delete old checkpoints", "storage", $"{Blobs}/blobs/delete"),
        new("trainer", "receive the training message", "queue:sslrec-train", $"{Queues}/messages/process/action"),
        new("trainer", "renew its visibility while training", "queue:sslrec-train", $"{Queues}/messages/write"),
        new("trainer", "delete it when done", "queue:sslrec-train", $"{Queues}/messages/delete", $"{Queues}/messages/process/action"),
        new("trainer", "KEDA azure-queue: queue length (Get Queue Metadata)", "queue:sslrec-train", $"{Queues}/read"),
        new("trainer", "KEDA azure-queue: peek visible messages", "queue:sslrec-train", $"{Queues}/messages/read"),
        new("trainer", "enqueue publish", "queue:sslrec-publish", $"{Queues}/messages/add/action", $"{Queues}/messages/write"),
        new("trainer", "move a message to the poison queue after maxDequeueCount", "queue:sslrec-train-poison", $"{Queues}/messages/add/action", $"{Queues}/messages/write"),
        new("trainer", "pull the trainer image", "registry", "Microsoft.ContainerRegistry/registries/pull/read"),

        // Event Grid's system topic: delivery and dead-lettering with its identity.
        new("eventgrid", "deliver BlobCreated of _READY", "queue:sslrec-drop", $"{Queues}/messages/add/action"),
        new("eventgrid", "dead-letter undeliverable events", "container:eventgrid-deadletter", $"{Blobs}/blobs/write"),

        // The person deploying and operating (docs/deploy.md): upload datasets, drop, status, retrain, recommend.
        new("deployer", "az storage blob upload-batch / sslrec drop: upload datasets and _READY", "storage", $"{Blobs}/blobs/write"),
        new("deployer", "sslrec status / recommend: read run records and embeddings", "storage", $"{Blobs}/blobs/read"),
        new("deployer", "sslrec drop: enqueue the BlobCreated event", "queue:sslrec-drop", $"{Queues}/messages/add/action"),
        new("deployer", "sslrec retrain: enqueue a retrain message", "queue:sslrec-retrain", $"{Queues}/messages/add/action"),
    ];

    private sealed record Assignment(string Identity, string Role, string Scope);

    private static List<Assignment> Assignments() =>
        CompiledBicep.Modules().SelectMany(m => m.Resources("Microsoft.Authorization/roleAssignments").Select(r =>
        {
            var role = m.Evaluate(r["properties"]!["roleDefinitionId"]).Split('/')[^1];
            return new Assignment(m.Name, role, Scope(m, (string)r["scope"]!));
        })).ToList();

    /// <summary>"storage", "queue:NAME", "container:NAME", or the service the scope belongs to.</summary>
    private static string Scope(CompiledBicep.Module module, string scope)
    {
        var type = Regex.Match(scope, @"resourceId\('([^']+)'").Groups[1].Value;
        return type switch
        {
            "Microsoft.Storage/storageAccounts" => "storage",
            $"{Queues}" => "queue:" + module.Evaluate(scope).Split('/')[^1],
            "Microsoft.Storage/storageAccounts/blobServices/containers" => "container:" + module.Evaluate(scope).Split('/')[^1],
            "Microsoft.ServiceBus/namespaces" => "servicebus",
            "Microsoft.Insights/components" => "insights",
            "Microsoft.ContainerRegistry/registries" => "registry",
            _ => throw new InvalidOperationException($"module {module.Name}: role assignment scope {scope} is not classified; extend RoleCoverageTests.Scope"),
        };
    }

    private static bool Contains(string assigned, string needed) =>
        assigned == needed || (assigned == "storage" && (needed.StartsWith("queue:") || needed.StartsWith("container:")));

    private static bool Grants(string role, string permission) =>
        BuiltInRoles[role].Permissions.Any(p => Regex.IsMatch(permission, "^" + Regex.Escape(p).Replace(@"\*", ".*") + "$", RegexOptions.IgnoreCase));

    private static bool Covers(Assignment a, Operation op) =>
        a.Identity == op.Identity && Contains(a.Scope, op.Scope) && op.AnyOf.Any(p => Grants(a.Role, p));

    [Fact]
    public void Every_operation_of_every_identity_is_allowed_by_its_role_assignments()
    {
        var assignments = Assignments();
        Assert.All(assignments, a => Assert.True(BuiltInRoles.ContainsKey(a.Role), $"{a.Identity}: role {a.Role} is not in the table of built-in roles"));
        var missing = Operations.Where(op => !assignments.Any(a => Covers(a, op)))
            .Select(op => $"{op.Identity} cannot '{op.What}' on {op.Scope} (needs one of {string.Join(", ", op.AnyOf)})").ToList();
        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }

    [Fact]
    public void No_role_is_granted_that_no_operation_needs()
    {
        var assignments = Assignments();
        var unneeded = assignments.Where(a => Operations.Where(op => Covers(a, op)).All(op => assignments.Any(other => other != a && Covers(other, op))))
            .Select(a => $"{a.Identity}: {BuiltInRoles[a.Role].Name} on {a.Scope} covers no operation that its other roles do not").ToList();
        Assert.True(unneeded.Count == 0, string.Join("\n", unneeded));
    }

    [Fact]
    public void The_training_job_cannot_create_queues_so_its_code_must_not_try()
    {
        // What `EnsureQueuesAsync` needs; the worker skips it with an identity (StartupContractTests checks that).
        var createQueue = new Operation("trainer", "create the pipeline's queues", "storage", $"{Queues}/write");
        Assert.DoesNotContain(Assignments(), a => Covers(a, createQueue));
    }
}
