using Microsoft.Extensions.Configuration;
using SslRec.Tests.Infra.Arm;

namespace SslRec.Tests.Infra.Contracts;

/// <summary>What a contract check found wrong in a template, one line each.</summary>
public sealed class Violations
{
    private readonly List<string> _all = [];

    public IReadOnlyList<string> All => _all;

    public void Add(string violation) => _all.Add(violation);

    /// <summary>Runs one check; a value it needs but cannot evaluate (a reference to nothing) is a violation too.</summary>
    public void Check(string what, Action check)
    {
        try
        {
            check();
        }
        catch (ArmException e)
        {
            _all.Add($"{what}: {e.Message}");
        }
    }

    public void Expect(bool ok, string violation)
    {
        if (!ok) _all.Add(violation);
    }

    public void Equal(object? expected, object? actual, string what)
    {
        if (!ArmValue.Same(expected, actual)) _all.Add($"{what}: expected {ArmValue.Describe(expected)}, found {ArmValue.Describe(actual)}");
    }
}

/// <summary>Resource types the contracts read.</summary>
public static class AzureType
{
    public const string StorageAccount = "Microsoft.Storage/storageAccounts";
    public const string Container = "Microsoft.Storage/storageAccounts/blobServices/containers";
    public const string Queue = "Microsoft.Storage/storageAccounts/queueServices/queues";
    public const string Site = "Microsoft.Web/sites";
    public const string PublishingCredentials = "Microsoft.Web/sites/basicPublishingCredentialsPolicies";
    public const string Job = "Microsoft.App/jobs";
    public const string UserAssignedIdentity = "Microsoft.ManagedIdentity/userAssignedIdentities";
    public const string Registry = "Microsoft.ContainerRegistry/registries";
    public const string ServiceBus = "Microsoft.ServiceBus/namespaces";
    public const string Topic = "Microsoft.ServiceBus/namespaces/topics";
    public const string Insights = "Microsoft.Insights/components";
    public const string SystemTopic = "Microsoft.EventGrid/systemTopics";
    public const string EventSubscription = "Microsoft.EventGrid/systemTopics/eventSubscriptions";
    public const string MetricAlert = "Microsoft.Insights/metricAlerts";
    public const string ActionGroup = "Microsoft.Insights/actionGroups";
    public const string RoleAssignment = "Microsoft.Authorization/roleAssignments";
    public const string RoleDefinition = "Microsoft.Authorization/roleDefinitions";
}

/// <summary>Small readers of evaluated values shared by the contracts.</summary>
public static class Read
{
    /// <summary>Names of the queues or containers the template creates in an account.</summary>
    public static HashSet<string> ChildrenOf(ArmWorld world, Resource account, string type) =>
        world.OfType(type).Where(r => r.Name.StartsWith(account.Name + "/", StringComparison.Ordinal)).Select(r => r.ShortName).ToHashSet();

    public static List<object?> List(object? value) => value as List<object?> ?? [];

    public static Dictionary<string, object?> Object(object? value) => value as Dictionary<string, object?> ?? ArmValue.NewObject();

    /// <summary>[{ name, value }] (app settings, container env) as a dictionary.</summary>
    public static Dictionary<string, string?> NameValues(object? list) =>
        List(list).Select(Object).ToDictionary(e => (string)e["name"]!, e => e.GetValueOrDefault("value") as string);

    /// <summary>
    /// Settings as the process receives them: the platform sets them as environment variables, whose
    /// configuration provider reads "__" as ":" (StartupContractTests starts the real hosts with real ones).
    /// </summary>
    public static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(p => KeyValuePair.Create(p.Key.Replace("__", ":"), p.Value))).Build();
}
