using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Storage;
using SslRec.Tests.Infra.Arm;

namespace SslRec.Tests.Infra.Contracts;

/// <summary>
/// The function app's settings name the resources the template deploys (read the way the app reads them,
/// through <see cref="PipelineSettings.From"/>), its package comes from a container of that account with its
/// own identity, and its publishing credentials are off.
/// </summary>
public static class FunctionAppContracts
{
    /// <summary>Every app setting the template gives the app; each is read by SslRec's code or the Functions host.</summary>
    public static readonly string[] Settings =
    [
        "AzureWebJobsStorage__accountName", "AzureWebJobsStorage__credential",
        "APPLICATIONINSIGHTS_CONNECTION_STRING", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        NotificationSettings.NotifySetting, NotificationSettings.TopicSetting,
        "ServiceBusConnection__fullyQualifiedNamespace", "ServiceBusConnection__credential",
    ];

    public static void Check(ArmWorld world, Violations v) => v.Check("function app", () =>
    {
        var site = world.Single(AzureType.Site);
        var account = world.Single(AzureType.StorageAccount);
        v.Equal("SystemAssigned", site.Get("identity", "type"), "function app identity type");

        var settings = Read.NameValues(site.Get("properties", "siteConfig", "appSettings"));
        foreach (var missing in Settings.Except(settings.Keys)) v.Add($"function app: the app setting {missing} is missing");
        foreach (var unknown in settings.Keys.Except(Settings)) v.Add($"function app: the app setting {unknown} is read by nothing");
        v.Equal(account.Name, settings.GetValueOrDefault("AzureWebJobsStorage__accountName"), "function app setting AzureWebJobsStorage__accountName (the storage module's account)");
        v.Equal(DeploymentTimeValues.InsightsConnectionString(world.Single(AzureType.Insights).Id), settings.GetValueOrDefault("APPLICATIONINSIGHTS_CONNECTION_STRING"),
            "function app setting APPLICATIONINSIGHTS_CONNECTION_STRING (the monitoring module's component)");
        Bind(world, account, settings, v);

        var package = site.Get("properties", "functionAppConfig", "deployment", "storage", "value") as string ?? "";
        var endpoint = DeploymentTimeValues.BlobEndpoint(account.Name);
        var container = package.StartsWith(endpoint, StringComparison.Ordinal) ? package[endpoint.Length..].TrimEnd('/') : null;
        v.Expect(container is not null && Read.ChildrenOf(world, account, AzureType.Container).Contains(container) && !BlobLayout.Containers.Contains(container),
            $"function app: the deployment package container {package} is not a container of its own in the storage account");
        v.Equal("SystemAssignedIdentity", site.Get("properties", "functionAppConfig", "deployment", "storage", "authentication", "type"), "function app package authentication");

        foreach (var kind in new[] { "scm", "ftp" })
        {
            var policy = world.OfType(AzureType.PublishingCredentials).FirstOrDefault(p => p.Name == $"{site.Name}/{kind}");
            v.Expect(policy is not null && ArmValue.Same(policy.Get("properties", "allow"), false),
                $"function app: basic-auth publishing credentials ({kind}) are not turned off (basicPublishingCredentialsPolicies/{kind} allow: false)");
        }
    });

    /// <summary>The settings as the app binds them: the endpoints, credentials and topic it will use.</summary>
    private static void Bind(ArmWorld world, Resource account, Dictionary<string, string?> settings, Violations v)
    {
        PipelineSettings bound;
        try
        {
            bound = PipelineSettings.From(Read.Configuration(settings));
        }
        catch (InvalidOperationException e)
        {
            v.Add($"function app: its settings stop it at start-up: {e.Message}");
            return;
        }
        var ns = world.Single(AzureType.ServiceBus);
        var topic = world.Single(AzureType.Topic);
        v.Equal(DeploymentTimeValues.BlobEndpoint(account.Name), bound.Storage.BlobServiceUri?.ToString(), "function app blob endpoint");
        v.Equal(DeploymentTimeValues.QueueEndpoint(account.Name), bound.Storage.QueueServiceUri?.ToString(), "function app queue endpoint");
        v.Expect(bound.Storage.Credentials == new AzureCredentials(AzureCredentials.ManagedIdentity, null), $"function app storage credential: expected its system-assigned identity, found {bound.Storage.Credentials}");
        v.Expect(bound.Notifications.UseServiceBus, "function app: notifications do not go to Service Bus");
        v.Equal(DeploymentTimeValues.ServiceBusHost(ns.Name), bound.Notifications.FullyQualifiedNamespace, "function app Service Bus namespace (the servicebus module's)");
        v.Equal(topic.ShortName, bound.Notifications.Topic, "function app topic (the servicebus module's)");
        v.Expect(bound.Notifications.Credentials == new AzureCredentials(AzureCredentials.ManagedIdentity, null), $"function app Service Bus credential: expected its system-assigned identity, found {bound.Notifications.Credentials}");
    }
}
