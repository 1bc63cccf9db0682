using SslRec.Tests.Infra.Contracts;

namespace SslRec.Tests.Infra;

/// <summary>
/// Every identity can do what its code does and nothing its code does not (Contracts/RoleContracts.cs has the
/// operations, the role table and the checks); each role assignment is credited to the principal it names.
/// </summary>
public class RoleCoverageTests
{
    private static readonly Lazy<(List<RoleContracts.Assignment> Assignments, List<RoleContracts.Operation> Operations)> Real = new(() =>
    {
        var v = new Violations();
        var result = (RoleContracts.Assignments(CompiledBicep.Sample, v), RoleContracts.AllOperations(CompiledBicep.Sample, v));
        Assert.True(v.All.Count == 0, string.Join("\n", v.All));
        return result;
    });

    private static void AssertNone(Action<List<RoleContracts.Assignment>, List<RoleContracts.Operation>, Violations> check)
    {
        var v = new Violations();
        check(Real.Value.Assignments, Real.Value.Operations, v);
        Assert.True(v.All.Count == 0, string.Join("\n", v.All));
    }

    [Fact]
    public void Every_operation_of_every_identity_is_allowed_by_its_role_assignments() => AssertNone(RoleContracts.Missing);

    [Fact]
    public void No_role_is_granted_that_no_operation_needs() => AssertNone(RoleContracts.Unneeded);

    [Fact]
    public void The_training_job_cannot_create_or_delete_queues_so_its_code_must_not_try() =>
        AssertNone((assignments, _, v) => RoleContracts.QueueAdministration(assignments, v));

    [Fact]
    public void The_training_job_holds_per_container_roles_and_nothing_on_datasets_or_the_function_package()
    {
        var trainer = Real.Value.Assignments.Where(a => a.Identity == "trainer").Select(a => (a.RoleName, a.Scope)).ToList();
        Assert.Contains(("Storage Blob Data Contributor", "container:artifacts"), trainer);
        Assert.Contains(("Storage Blob Data Reader", "container:embeddings"), trainer);
        Assert.DoesNotContain(trainer, a => a.Scope is "storage" or "container:datasets" or "container:function-deployment");
    }

    [Fact]
    public void The_training_queue_role_is_the_custom_one_with_only_the_message_actions()
    {
        var role = Assert.Single(Real.Value.Assignments, a => a.Identity == "trainer" && a.Scope == "queue:sslrec-train");
        Assert.True(role.Custom);
        Assert.Equal(
            ["Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action", "Microsoft.Storage/storageAccounts/queueServices/queues/messages/read",
             "Microsoft.Storage/storageAccounts/queueServices/queues/messages/write", "Microsoft.Storage/storageAccounts/queueServices/queues/read"],
            role.Permissions.Order());
    }

    [Fact]
    public void Role_assignments_are_credited_to_the_principal_they_name()
    {
        var identities = Real.Value.Assignments.GroupBy(a => a.Identity).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(["deployer", "eventgrid", "functionapp", "trainer"], identities.Keys.Order());
        // artifacts, embeddings, the training queue, the publish queue, the training poison queue, the registry.
        Assert.Equal(6, identities["trainer"]);
    }
}
