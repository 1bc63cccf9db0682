using SslRec.Pipeline;
using SslRec.Pipeline.Storage;
using SslRec.Tests.Infra.Arm;

namespace SslRec.Tests.Infra.Contracts;

/// <summary>
/// The storage account holds every queue and container the code uses (QueueNames, BlobLayout): no identity
/// in Azure may create them, so one the template forgets makes its stage fail on the first message.
/// </summary>
public static class StorageContracts
{
    public static void Check(ArmWorld world, Violations v) => v.Check("storage", () =>
    {
        var account = world.Single(AzureType.StorageAccount);
        var queues = Read.ChildrenOf(world, account, AzureType.Queue);
        foreach (var queue in QueueNames.All.SelectMany(q => new[] { q, QueueNames.Poison(q) }))
            v.Expect(queues.Contains(queue), $"storage: the queue {queue} (QueueNames) is not created in the account");
        var containers = Read.ChildrenOf(world, account, AzureType.Container);
        foreach (var container in BlobLayout.Containers)
            v.Expect(containers.Contains(container), $"storage: the container {container} (BlobLayout) is not created in the account");
    });
}

/// <summary>
/// Every `existing` resource a module declares is one the template deploys: a module handed another
/// module's name (the registry's for the storage account) would otherwise point at nothing.
/// </summary>
public static class ReferenceContracts
{
    public static void Check(ArmWorld world, Violations v)
    {
        foreach (var existing in world.Deployments().SelectMany(d => d.Resources).Where(r => r.Existing))
            v.Check($"{existing}", () => existing.Target());
    }
}
