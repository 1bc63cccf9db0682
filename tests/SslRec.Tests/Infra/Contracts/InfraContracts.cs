using System.Text.Json.Nodes;
using SslRec.Tests.Infra.Arm;

namespace SslRec.Tests.Infra.Contracts;

/// <summary>
/// All contract checks on one compiled main.bicep: the real one (ContractTests, RoleCoverageTests) and each
/// mutated copy (InfraMutationTests). Each check returns what it found wrong, so a mutation's test can show
/// which contract caught it.
/// </summary>
public static class InfraContracts
{
    public static readonly (string Name, Action<ArmWorld, Violations> Check)[] Checks =
    [
        ("storage", StorageContracts.Check),
        ("existing references", ReferenceContracts.Check),
        ("function app", FunctionAppContracts.Check),
        ("training job", TrainerJobContracts.Check),
        ("event grid", EventGridContracts.Check),
        ("registry", RegistryContracts.Check),
        ("roles", RoleContracts.Check),
    ];

    public static IReadOnlyList<string> Check(JsonObject compiledMain)
    {
        var violations = new Violations();
        var world = new ArmWorld(compiledMain, CompiledBicep.SampleParameters());
        foreach (var (_, check) in Checks) check(world, violations);
        return violations.All;
    }

    public static IReadOnlyList<string> Check(ArmWorld world, Action<ArmWorld, Violations> check)
    {
        var violations = new Violations();
        check(world, violations);
        return violations.All;
    }
}
