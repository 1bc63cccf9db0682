using System.Text.RegularExpressions;
using SslRec.Pipeline;
using SslRec.Pipeline.Notifications;
using SslRec.Pipeline.Storage;
using SslRec.Tests.Infra.Arm;

namespace SslRec.Tests.Infra.Contracts;

/// <summary>
/// Every identity can do what its code does, and holds no role, no scope and no custom permission that
/// nothing needs. The operations each identity performs are listed here (with the code that performs them);
/// the role assignments come from the deployed template, each credited to the principal it names (followed
/// through the evaluator to the resource whose identity it is) at the scope it names; built-in roles'
/// permissions are constants copied from Microsoft's role reference, custom roles' come from the template.
/// A job identity that could not create queues once made every GPU execution fail with 403 before taking a
/// message, and one that could not renew visibility trained every run twice.
/// </summary>
public static class RoleContracts
{
    private const string Blobs = "Microsoft.Storage/storageAccounts/blobServices/containers";
    private const string Queues = "Microsoft.Storage/storageAccounts/queueServices/queues";

    /// <summary>
    /// Built-in roles: actions and data actions, from MicrosoftDocs/azure-docs
    /// articles/role-based-access-control/built-in-roles/{storage,integration,containers,monitor}.md (2026-07).
    /// </summary>
    public static readonly Dictionary<string, (string Name, string[] Permissions)> BuiltInRoles = new()
    {
        ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = ("Storage Blob Data Owner",
            [$"{Blobs}/*", "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action", $"{Blobs}/blobs/*"]),
        ["ba92f5b4-2d11-453d-a403-e96b0029c9fe"] = ("Storage Blob Data Contributor",
            [$"{Blobs}/delete", $"{Blobs}/read", $"{Blobs}/write", "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
             $"{Blobs}/blobs/delete", $"{Blobs}/blobs/read", $"{Blobs}/blobs/write", $"{Blobs}/blobs/move/action", $"{Blobs}/blobs/add/action"]),
        ["2a2b9908-6ea1-4ae2-8e65-a10df84c7d1f"] = ("Storage Blob Data Reader",
            [$"{Blobs}/read", "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action", $"{Blobs}/blobs/read"]),
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
    /// One operation: who, what for, where ("storage" = the account; "queue:NAME", "container:NAME",
    /// "topic:NAME"; or the service), and the permissions any one of which allows it (the "Authorize with
    /// Microsoft Entra ID" table of the Storage REST reference: e.g. Delete Message is messages/delete or
    /// messages/process/action).
    /// </summary>
    public sealed record Operation(string Identity, string What, string Scope, params string[] AnyOf);

    private static readonly string Train = $"queue:{QueueNames.Train}";
    private static readonly string Artifacts = $"container:{BlobLayout.Artifacts}";

    public static readonly Operation[] Operations =
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
        new("functionapp", "watchdog: is a run's training message queued (Peek Messages on sslrec-train)", "queue:sslrec-train", $"{Queues}/messages/read"),
        new("functionapp", "publish: notify the embeddings-published topic (ServiceBusNotifier)", $"topic:{ServiceBusNotifier.Topic}", "Microsoft.ServiceBus/namespaces/messages/send/action"),
        new("functionapp", "telemetry to Application Insights (AAD auth)", "insights", "Microsoft.Insights/Telemetry/Write"),

        // The GPU job: `sslrec train-worker` (TrainWorker, TrainStage, BlobCheckpointStore, RunLock, RunStore,
        // PoisonRecorder) and its KEDA scaler. It reads nothing in datasets: the remap stage's parts are in artifacts.
        new("trainer", "read run records, encoded parts, the header, the published run's model (RunStore, TrainStage)", Artifacts, $"{Blobs}/blobs/read"),
        new("trainer", "write checkpoints, candidates, run and poison records; lease the train lock (RunLock)", Artifacts, $"{Blobs}/blobs/write"),
        new("trainer", "delete old checkpoints (BlobCheckpointStore)", Artifacts, $"{Blobs}/blobs/delete"),
        new("trainer", "read latest.json and manifests for the publish gate and a warm start (TrainStage)", $"container:{BlobLayout.Embeddings}", $"{Blobs}/blobs/read"),
        new("trainer", "receive the training message (Get Messages)", Train, $"{Queues}/messages/process/action"),
        new("trainer", "renew its visibility while training (Update Message)", Train, $"{Queues}/messages/write"),
        new("trainer", "delete it when done (Delete Message)", Train, $"{Queues}/messages/delete", $"{Queues}/messages/process/action"),
        new("trainer", "hand a run that reached its time budget to the next execution (Put Message)", Train, $"{Queues}/messages/add/action", $"{Queues}/messages/write"),
        new("trainer", "KEDA azure-queue: queue length (Get Queue Metadata)", Train, $"{Queues}/read"),
        new("trainer", "KEDA azure-queue, queueLengthStrategy visibleonly: Peek Messages", Train, $"{Queues}/messages/read"),
        new("trainer", "enqueue publish", $"queue:{QueueNames.Publish}", $"{Queues}/messages/add/action", $"{Queues}/messages/write"),
        new("trainer", "move a message to the poison queue after maxDequeueCount", $"queue:{QueueNames.Poison(QueueNames.Train)}", $"{Queues}/messages/add/action", $"{Queues}/messages/write"),
        new("trainer", "pull the trainer image", "registry", "Microsoft.ContainerRegistry/registries/pull/read"),

        // The person deploying and operating (docs/deploy.md): upload datasets, drop, status, retrain, recommend,
        // and read the Event Grid dead-letter container.
        new("deployer", "az storage blob upload-batch / sslrec drop: upload datasets and _READY", "storage", $"{Blobs}/blobs/write"),
        new("deployer", "sslrec status / recommend: read run records and embeddings; list dead-lettered events", "storage", $"{Blobs}/blobs/read"),
        new("deployer", "sslrec drop: enqueue the BlobCreated event", $"queue:{QueueNames.Drop}", $"{Queues}/messages/add/action"),
        new("deployer", "sslrec retrain: enqueue a retrain message", $"queue:{QueueNames.Retrain}", $"{Queues}/messages/add/action"),
    ];

    /// <summary>Event Grid's system topic does what its subscription names: deliver to its queue, dead-letter to its container.</summary>
    public static IEnumerable<Operation> EventGridOperations(ArmWorld world)
    {
        var subscription = world.Single(AzureType.EventSubscription);
        yield return new("eventgrid", "deliver BlobCreated of _READY", $"queue:{EventGridContracts.DestinationQueue(subscription)}", $"{Queues}/messages/add/action");
        yield return new("eventgrid", "dead-letter undeliverable events", $"container:{EventGridContracts.DeadLetterContainer(subscription)}", $"{Blobs}/blobs/write");
    }

    public sealed record Assignment(string Where, string Identity, string RoleName, string[] Permissions, bool Custom, string Scope)
    {
        public bool Grants(string permission) => Permissions.Any(p => Matches(p, permission));

        public bool Covers(Operation op) => Identity == op.Identity && Contains(Scope, op.Scope) && op.AnyOf.Any(Grants);

        public override string ToString() => $"{Identity}: {RoleName} on {Scope} ({Where})";
    }

    /// <summary>A role's permission (with * wildcards) allows a permission an operation needs.</summary>
    public static bool Matches(string pattern, string permission) =>
        Regex.IsMatch(permission, "^" + Regex.Escape(pattern).Replace(@"\*", ".*") + "$", RegexOptions.IgnoreCase);

    private static bool Contains(string assigned, string needed) =>
        assigned == needed || assigned == "resourcegroup"
        || (assigned == "storage" && (needed.StartsWith("queue:") || needed.StartsWith("container:")))
        || (assigned == "servicebus" && needed.StartsWith("topic:"));

    /// <summary>Who each principal id is: the tokens of the identities that run SslRec code, and the deployer's object id.</summary>
    public static Dictionary<string, string> Identities(ArmWorld world)
    {
        var identities = new Dictionary<string, string>
        {
            [DeploymentTimeValues.Principal(world.Single(AzureType.Site).Id)] = "functionapp",
            [DeploymentTimeValues.Principal(world.Single(AzureType.SystemTopic).Id)] = "eventgrid",
            [(string)world.Root.Parameter("deployerPrincipalId")!] = "deployer",
        };
        foreach (var uai in Read.Object(world.Single(AzureType.Job).Get("identity", "userAssignedIdentities")).Keys)
            identities[DeploymentTimeValues.Principal(uai)] = "trainer";
        return identities;
    }

    /// <summary>Every role assignment the template deploys, credited to the principal it names, at the scope it names.</summary>
    public static List<Assignment> Assignments(ArmWorld world, Violations v)
    {
        var assignments = new List<Assignment>();
        v.Check("role assignments", () =>
        {
            var identities = Identities(world);
            foreach (var r in world.OfType(AzureType.RoleAssignment))
                v.Check($"role assignment {r}", () =>
                {
                    var principal = r.Get("properties", "principalId") as string ?? "";
                    var identity = identities.GetValueOrDefault(principal)
                                   ?? throw new ArmException($"grants to {principal}, which is none of SslRec's identities (the function app's, the job's, the Event Grid topic's, the deployer)");
                    var expectedType = identity == "deployer" ? world.Root.Parameter("deployerPrincipalType") : "ServicePrincipal";
                    v.Equal(expectedType, r.Get("properties", "principalType"), $"role assignment {r} principalType");
                    var (name, permissions, custom) = Role(world, r.Get("properties", "roleDefinitionId") as string ?? "");
                    assignments.Add(new Assignment(r.ToString(), identity, name, permissions, custom, Classify(world, r.ScopeId)));
                });
        });
        return assignments;
    }

    /// <summary>A built-in role from the table, or a custom role the template defines (its permissions read from it).</summary>
    private static (string Name, string[] Permissions, bool Custom) Role(ArmWorld world, string id)
    {
        var prefix = $"/subscriptions/{ArmWorld.SubscriptionId}/providers/Microsoft.Authorization/roleDefinitions/";
        if (!id.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) throw new ArmException($"role definition id {id} is not subscriptionResourceId('Microsoft.Authorization/roleDefinitions', id)");
        var guid = id[prefix.Length..];
        if (BuiltInRoles.TryGetValue(guid, out var builtIn)) return (builtIn.Name, builtIn.Permissions, false);
        var custom = world.OfType(AzureType.RoleDefinition).FirstOrDefault(d => d.Name == guid)
                     ?? throw new ArmException($"role {guid} is neither a built-in role in RoleContracts.BuiltInRoles nor a custom role the template defines");
        if (!Read.List(custom.Get("properties", "assignableScopes")).Contains(ArmWorld.ResourceGroupId))
            throw new ArmException($"custom role {guid} is not assignable in the resource group");
        var permissions = Read.List(custom.Get("properties", "permissions")).Select(Read.Object).ToList();
        if (permissions.Any(p => Read.List(p.GetValueOrDefault("notActions")).Count + Read.List(p.GetValueOrDefault("notDataActions")).Count > 0))
            throw new ArmException($"custom role {guid}: notActions are not modelled; list what it allows");
        return ((string)custom.Get("properties", "roleName")!,
            permissions.SelectMany(p => Read.List(p.GetValueOrDefault("actions")).Concat(Read.List(p.GetValueOrDefault("dataActions")))).Select(ArmValue.Text).ToArray(), true);
    }

    /// <summary>"storage", "queue:NAME", "container:NAME", "topic:NAME", or the service a scope belongs to.</summary>
    private static string Classify(ArmWorld world, string scopeId)
    {
        if (string.Equals(scopeId, ArmWorld.ResourceGroupId, StringComparison.OrdinalIgnoreCase)) return "resourcegroup";
        var r = world.Find(scopeId) ?? throw new ArmException($"its scope {scopeId} is not a resource the template deploys");
        return r.Type switch
        {
            AzureType.StorageAccount => "storage",
            AzureType.Container => $"container:{r.ShortName}",
            AzureType.Queue => $"queue:{r.ShortName}",
            AzureType.ServiceBus => "servicebus",
            AzureType.Topic => $"topic:{r.ShortName}",
            AzureType.Insights => "insights",
            AzureType.Registry => "registry",
            _ => throw new ArmException($"scope type {r.Type} is not classified; extend RoleContracts.Classify"),
        };
    }

    public static List<Operation> AllOperations(ArmWorld world, Violations v)
    {
        var all = Operations.ToList();
        v.Check("event grid operations", () => all.AddRange(EventGridOperations(world)));
        return all;
    }

    public static void Check(ArmWorld world, Violations v)
    {
        var assignments = Assignments(world, v);
        var operations = AllOperations(world, v);
        Missing(assignments, operations, v);
        Unneeded(assignments, operations, v);
        QueueAdministration(assignments, v);
    }

    /// <summary>Every operation is allowed by one of its identity's assignments.</summary>
    public static void Missing(List<Assignment> assignments, List<Operation> operations, Violations v)
    {
        foreach (var op in operations.Where(op => !assignments.Any(a => a.Covers(op))))
            v.Add($"{op.Identity} cannot '{op.What}' on {op.Scope} (needs one of {string.Join(", ", op.AnyOf)})");
    }

    /// <summary>
    /// No grant that nothing needs: an assignment that covers nothing the identity's other assignments do not,
    /// one on a wider scope than every operation it covers, and a custom role's permission no operation uses.
    /// </summary>
    public static void Unneeded(List<Assignment> assignments, List<Operation> operations, Violations v)
    {
        foreach (var a in assignments)
        {
            var covered = operations.Where(a.Covers).ToList();
            if (covered.All(op => assignments.Any(other => other != a && other.Covers(op))))
                v.Add($"{a} covers no operation that its other roles do not");
            else if (covered.All(op => op.Scope != a.Scope))
                v.Add($"{a} is wider than what it is needed for ({string.Join(", ", covered.Select(op => op.Scope).Distinct())}): grant it there");
            if (!a.Custom) continue;
            var mine = operations.Where(op => op.Identity == a.Identity && Contains(a.Scope, op.Scope)).ToList();
            foreach (var permission in a.Permissions.Where(p => !mine.Any(op => op.AnyOf.Any(x => Matches(p, x)))))
                v.Add($"{a}: the custom role allows {permission}, which no operation of {a.Identity} there needs");
        }
    }

    /// <summary>The job's identity can neither create nor delete queues: the template creates them, and the worker skips EnsureQueuesAsync.</summary>
    public static void QueueAdministration(List<Assignment> assignments, Violations v)
    {
        foreach (var a in assignments.Where(a => a.Identity == "trainer" && (a.Grants($"{Queues}/write") || a.Grants($"{Queues}/delete"))))
            v.Add($"{a} lets the training job create or delete queues; its code never does");
    }
}
