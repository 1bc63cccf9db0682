using SslRec.Pipeline;
using SslRec.Pipeline.Storage;
using SslRec.Tests.Infra.Arm;

namespace SslRec.Tests.Infra.Contracts;

/// <summary>
/// Event Grid watches the storage account, sends the BlobCreated event of datasets/{name}/{version}/_READY
/// to the drop queue the drop function reads (QueueNames.Drop), and dead-letters what it cannot deliver into
/// a container of its own in that account, both with the system topic's identity.
/// </summary>
public static class EventGridContracts
{
    public static void Check(ArmWorld world, Violations v) => v.Check("event grid", () =>
    {
        var account = world.Single(AzureType.StorageAccount);
        var topic = world.Single(AzureType.SystemTopic);
        v.Equal(account.Id, topic.Get("properties", "source"), "event grid system topic source (the storage module's account)");
        v.Expect((topic.Get("identity", "type") as string ?? "").Contains("SystemAssigned", StringComparison.Ordinal), "event grid: the system topic has no system-assigned identity");

        var subscription = world.Single(AzureType.EventSubscription);
        v.Expect(subscription.Name.StartsWith(topic.Name + "/", StringComparison.Ordinal), "event grid: the subscription is not on the system topic");
        v.Expect(Read.List(subscription.Get("properties", "filter", "includedEventTypes")).SequenceEqual(["Microsoft.Storage.BlobCreated"]), "event grid subscription: only BlobCreated events");
        v.Equal($"/blobServices/default/containers/{BlobLayout.Datasets}/blobs/", subscription.Get("properties", "filter", "subjectBeginsWith"), "event grid subscription subjectBeginsWith (BlobLayout.Datasets)");
        v.Equal("/" + BlobLayout.ReadyMarker, subscription.Get("properties", "filter", "subjectEndsWith"), "event grid subscription subjectEndsWith (BlobLayout.ReadyMarker)");

        var delivery = new[] { "properties", "deliveryWithResourceIdentity" };
        v.Equal("SystemAssigned", subscription.Get([.. delivery, "identity", "type"]), "event grid delivery identity (the system topic's)");
        v.Equal("StorageQueue", subscription.Get([.. delivery, "destination", "endpointType"]), "event grid destination type");
        v.Equal(account.Id, subscription.Get([.. delivery, "destination", "properties", "resourceId"]), "event grid destination account (the storage module's)");
        v.Equal(QueueNames.Drop, subscription.Get([.. delivery, "destination", "properties", "queueName"]), "event grid destination queue (the drop function's, QueueNames.Drop)");

        var deadLetter = new[] { "properties", "deadLetterWithResourceIdentity" };
        v.Equal("SystemAssigned", subscription.Get([.. deadLetter, "identity", "type"]), "event grid dead-letter identity (the system topic's)");
        v.Equal("StorageBlob", subscription.Get([.. deadLetter, "deadLetterDestination", "endpointType"]), "event grid dead-letter destination type");
        v.Equal(account.Id, subscription.Get([.. deadLetter, "deadLetterDestination", "properties", "resourceId"]), "event grid dead-letter account (the storage module's)");
        var container = DeadLetterContainer(subscription);
        var package = world.Single(AzureType.Site).Get("properties", "functionAppConfig", "deployment", "storage", "value") as string ?? "";
        v.Expect(container is not null && Read.ChildrenOf(world, account, AzureType.Container).Contains(container)
                                      && !BlobLayout.Containers.Contains(container) && !package.EndsWith("/" + container, StringComparison.Ordinal),
            $"event grid dead-letter container '{container}': must be a container of its own that the storage module creates (not one the pipeline or the function app's package uses)");
    });

    public static string? DeadLetterContainer(Resource subscription) =>
        subscription.Get("properties", "deadLetterWithResourceIdentity", "deadLetterDestination", "properties", "blobContainerName") as string;

    public static string? DestinationQueue(Resource subscription) =>
        subscription.Get("properties", "deliveryWithResourceIdentity", "destination", "properties", "queueName") as string;
}

/// <summary>
/// main.bicep's registrySku reaches the registry (each allowed value deploys a registry of that tier), and
/// the registry's admin user stays off.
/// </summary>
public static class RegistryContracts
{
    public static readonly string[] Skus = ["Basic", "Standard", "Premium"];

    public static void Check(ArmWorld world, Violations v) => v.Check("registry", () =>
    {
        var allowed = Read.List(ArmValue.Evaluate(world.Root.Template["parameters"]?["registrySku"]?["allowedValues"], new Scope(world.Root))).Select(ArmValue.Text).ToList();
        v.Expect(allowed.Order().SequenceEqual(Skus.Order()), $"registry: main.bicep's registrySku allows [{string.Join(", ", allowed)}], expected [{string.Join(", ", Skus)}]");
        v.Equal("Basic", world.Single(AzureType.Registry).Get("sku", "name"), "registry sku by default");
        v.Equal(false, world.Single(AzureType.Registry).Get("properties", "adminUserEnabled"), "registry admin user");
        foreach (var sku in Skus)
        {
            var deployed = new ArmWorld(world.Root.Template, CompiledBicep.SampleParameters(("registrySku", sku)));
            v.Equal(sku, deployed.Single(AzureType.Registry).Get("sku", "name"), $"registry sku with registrySku={sku}");
        }
    });
}
