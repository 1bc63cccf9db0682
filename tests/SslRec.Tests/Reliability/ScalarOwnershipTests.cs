using TorchSharp;

namespace SslRec.Tests.Reliability;

/// <summary>
/// No call in SslRec's compiled torch code makes TorchSharp create a Scalar that nobody owns
/// (<see cref="UnownedScalarRules"/>). The compiler refuses such calls in source already
/// (src/BannedSymbols.TorchSharp.txt); this scan of the IL is the backstop for what that analyzer does not
/// see — a compound assignment (<c>t *= 2.0</c> calls op_Multiply but is no binary operation to it) — and
/// for projects that might lose the analyzer.
/// </summary>
public class ScalarOwnershipTests
{
    private static readonly string[] Assemblies = ["SslRec.Training.dll", "SslRec.Worker.dll", "SslRec.Experiments.dll", "sslrec.dll"];

    [Fact]
    public void No_torch_call_in_src_creates_a_scalar_that_nobody_owns()
    {
        var found = Assemblies.SelectMany(a => TorchCallSites.In(Path.Combine(AppContext.BaseDirectory, a)))
            .Select(c => (Call: c, Why: UnownedScalarRules.Violation(c))).Where(v => v.Why is not null)
            .Select(v => $"{v.Call}: {v.Why}").Distinct().ToList();
        Assert.True(found.Count == 0, $"{found.Count} unowned Scalars (pass a TorchScalars value or a tensor):\n" + string.Join("\n", found));
    }

    /// <summary>The scan finds what the analyzer cannot: <see cref="Samples"/>' compound assignment, and the other kinds.</summary>
    [Fact]
    public void The_scan_finds_a_compound_assignment_and_each_kind_of_unowned_scalar()
    {
        var found = TorchCallSites.In(typeof(ScalarOwnershipTests).Assembly.Location)
            .Where(c => c.Caller == $"{typeof(ScalarOwnershipTests).FullName}.{nameof(Samples)}")
            .Where(c => UnownedScalarRules.Violation(c) is not null).Select(c => c.Name).ToList();
        Assert.Equal(["op_Multiply", "op_Implicit", "add", "square", "softplus", "ToDouble", "step", "ToScalar"], found);
    }

    /// <summary>Never run: the IL the test above scans.</summary>
    private static void Samples(TorchSharp.torch.Tensor t, TorchSharp.torch.optim.Optimizer optimizer)
    {
        t *= 2.0;
        t.div_(0.5);
        t.add(t);
        t.square();
        t.softplus(1.0, 20.0);
        t.ToDouble();
        optimizer.step();
        TorchSharp.ScalarExtensionMethods.ToScalar(1.0);
    }
}
