using SslRec.Tests.Infra.Arm;
using SslRec.Tests.Infra.Contracts;

namespace SslRec.Tests.Infra;

/// <summary>
/// infra/main.bicep keeps every contract: the references between its modules resolve to what the code uses
/// (Contracts/). InfraMutationTests shows that each of these fails on a careless one-line edit.
/// </summary>
public class ContractTests
{
    private static void AssertKept(Action<ArmWorld, Violations> check)
    {
        var violations = InfraContracts.Check(CompiledBicep.Sample, check);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public void The_storage_account_holds_every_queue_and_container_the_code_uses() => AssertKept(StorageContracts.Check);

    [Fact]
    public void Every_existing_resource_a_module_uses_is_one_the_template_deploys() => AssertKept(ReferenceContracts.Check);

    [Fact]
    public void The_function_app_is_wired_to_the_storage_service_bus_and_insights_the_template_deploys() => AssertKept(FunctionAppContracts.Check);

    [Fact]
    public void The_training_job_uses_its_identity_the_training_queue_a_time_budget_and_an_alert() => AssertKept(TrainerJobContracts.Check);

    [Fact]
    public void Event_grid_delivers_ready_markers_to_the_drop_queue_and_dead_letters_to_its_own_container() => AssertKept(EventGridContracts.Check);

    [Fact]
    public void The_registry_sku_parameter_reaches_the_registry() => AssertKept(RegistryContracts.Check);

    [Fact]
    public void Identities_are_values_that_can_be_followed()
    {
        var world = CompiledBicep.Sample;
        var job = world.Single(AzureType.Job);
        var identity = world.Single(AzureType.UserAssignedIdentity);
        // The job's outputs in main are the trainer module's own: the alert module receives the job's real id.
        Assert.Equal(job.Id, world.Module("trainer").Output("jobId"));
        Assert.Equal(job.Id, Assert.Single(Read.List(world.Single(AzureType.MetricAlert).Get("properties", "scopes"))));
        // Distinct resources have distinct principals, and a module output is what the module's resources say.
        var principals = new[] { identity.Id, world.Single(AzureType.Site).Id, world.Single(AzureType.SystemTopic).Id }.Select(DeploymentTimeValues.Principal);
        Assert.Equal(3, principals.Distinct().Count());
        Assert.Equal(DeploymentTimeValues.Principal(world.Single(AzureType.Site).Id), world.Module("functionapp").Output("principalId"));
        Assert.Equal(world.Single(AzureType.StorageAccount).Name, world.Module("storage").Output("name"));
        // The job has only a user-assigned identity: asking for its own principal is an error, not a sample value.
        var jobIdentity = (ILazyObject)new ResourceView(job, Full: true).Get("identity")!;
        Assert.Throws<ArmException>(() => jobIdentity.Get("principalId"));
    }
}
