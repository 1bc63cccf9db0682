namespace SslRec.Tests.Infra.Arm;

/// <summary>
/// Values only Azure knows, modelled so that they can be followed rather than sampled: an identity's
/// principal and client ids are tokens naming the resource they belong to (a role assignment to
/// "principal(&lt;job identity id&gt;)" grants exactly that identity), endpoints and login servers are
/// derived from the resource's name as Azure derives them. Only values with no structure a check could
/// compare (an Application Insights connection string) are samples, still one per resource.
/// </summary>
public static class DeploymentTimeValues
{
    public static string Principal(string resourceId) => $"principal({resourceId})";

    public static string ClientId(string resourceId) => $"clientId({resourceId})";

    public static string BlobEndpoint(string account) => $"https://{account}.blob.core.windows.net/";

    public static string QueueEndpoint(string account) => $"https://{account}.queue.core.windows.net/";

    public static string LoginServer(string registry) => $"{registry.ToLowerInvariant()}.azurecr.io";

    public static string ServiceBusHost(string ns) => $"{ns}.servicebus.windows.net";

    public static string InsightsConnectionString(string resourceId) =>
        $"InstrumentationKey={ArmFunctions.Guid([resourceId])};IngestionEndpoint=https://{ArmWorld.Location}.in.applicationinsights.azure.com/";

    /// <summary>A property the platform sets on a resource of this type, or null when it is not one of those.</summary>
    public static object? Runtime(Resource r, string property) => (r.Type.ToLowerInvariant(), property.ToLowerInvariant()) switch
    {
        ("microsoft.managedidentity/userassignedidentities", "principalid") => Principal(r.Id),
        ("microsoft.managedidentity/userassignedidentities", "clientid") => ClientId(r.Id),
        ("microsoft.managedidentity/userassignedidentities", "tenantid") => ArmWorld.Subscription()["tenantId"],
        ("microsoft.storage/storageaccounts", "primaryendpoints") => new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
        {
            ["blob"] = BlobEndpoint(r.Name), ["queue"] = QueueEndpoint(r.Name),
            ["table"] = $"https://{r.Name}.table.core.windows.net/", ["file"] = $"https://{r.Name}.file.core.windows.net/",
        },
        ("microsoft.containerregistry/registries", "loginserver") => LoginServer(r.Name),
        ("microsoft.operationalinsights/workspaces", "customerid") => $"customerId({r.Id})",
        ("microsoft.insights/components", "connectionstring") => InsightsConnectionString(r.Id),
        ("microsoft.web/sites", "defaulthostname") => $"{r.Name}.azurewebsites.net",
        ("microsoft.resources/deployments", "outputs") => new Outputs(r.Nested!),
        _ => null,
    };

    private sealed record Outputs(Deployment Module) : ILazyObject
    {
        public object? Get(string name) => new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["value"] = Module.Output(name) };
    }
}

/// <summary>
/// A resource as reference() returns it: its properties (declared, or set by the platform), or with 'full'
/// the whole resource, whose `identity.principalId` exists only when the resource declares a system-assigned
/// identity.
/// </summary>
public sealed record ResourceView(Resource Resource, bool Full) : ILazyObject
{
    public object? Get(string name) => Full ? Whole(name) : Property(name);

    private object? Property(string name) =>
        DeploymentTimeValues.Runtime(Resource, name)
        ?? Resource.Get("properties", name)
        ?? throw new ArmException($"{Resource}: property '{name}' is neither declared nor one the platform sets (as modelled in DeploymentTimeValues)");

    private object? Whole(string name) => name.ToLowerInvariant() switch
    {
        "id" => Resource.Id,
        "name" => Resource.Name,
        "type" => Resource.Type,
        "properties" => this with { Full = false },
        "identity" => new IdentityView(Resource),
        _ => Resource.Get(name) ?? throw new ArmException($"{Resource}: '{name}' is not declared"),
    };

    private sealed record IdentityView(Resource Resource) : ILazyObject
    {
        public object? Get(string name)
        {
            var type = Resource.Get("identity", "type") as string ?? "None";
            return name.ToLowerInvariant() switch
            {
                "principalid" when type.Contains("SystemAssigned", StringComparison.OrdinalIgnoreCase) => DeploymentTimeValues.Principal(Resource.Id),
                "principalid" => throw new ArmException($"{Resource} has no system-assigned identity (identity type {type}), so no principalId"),
                "tenantid" => ArmWorld.Subscription()["tenantId"],
                _ => Resource.Get("identity", name) ?? throw new ArmException($"{Resource}: identity.{name} is not declared"),
            };
        }
    }
}
