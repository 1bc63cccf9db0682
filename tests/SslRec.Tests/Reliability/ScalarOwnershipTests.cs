namespace SslRec.Tests.Reliability;

/// <summary>
/// No call in SslRec's torch code makes TorchSharp create a Scalar that nobody keeps alive. Such a Scalar
/// owns a native torch::Scalar freed by its finalizer; TorchSharp passes only its handle to libtorch, so a
/// GC on any other thread (queue pollers, lease renewal, logging) can free it mid-call — the "Expected false
/// to be true ... toFloat" crash in masked_fill. Owned Scalars (TorchScalars) or tensors must be passed instead.
/// </summary>
public class ScalarOwnershipTests
{
    private static readonly string[] Assemblies = ["SslRec.Training.dll", "SslRec.Worker.dll", "SslRec.Experiments.dll"];

    private static readonly HashSet<string> Primitives = ["Double", "Single", "Int32", "Int64", "Boolean", "Byte", "Int16"];

    /// <summary>Where SslRec itself makes Scalars, each one owned (a process-lifetime cache, or `using` in the optimizer step).</summary>
    private static readonly string[] ScalarOwners = ["SslRec.Training.TorchScalars", "SslRec.Training.Loop.OwnedScalarSteps"];

    /// <summary>
    /// Why a call creates an unowned Scalar, or null when it does not. The TorchSharp members that create
    /// one internally were read from TorchSharp 0.107's source (Tensor.cs, Tensor.Operators.cs,
    /// TensorExtensionMethods.cs, Optimizers/*.cs).
    /// </summary>
    public static string? Violation(TorchCallSites.Call c)
    {
        var tensor = c.DeclaringType == "TorchSharp.torch+Tensor";
        return c switch
        {
            { DeclaringType: "TorchSharp.Scalar", Name: "op_Implicit" } => "implicit conversion to Scalar",
            { Name: "op_Addition" or "op_Subtraction" or "op_Multiply" or "op_Division" or "op_GreaterThan" or "op_LessThan" }
                when c.Parameters.Any(Primitives.Contains) => "tensor–number operator (converts the number to a temporary Scalar)",
            { Name: "add" or "add_", Parameters.Length: 1 } when tensor => "add without alpha (TorchSharp passes a temporary Scalar 1); pass TorchScalars.One",
            { Name: "square" } when tensor => "square() is pow(2) with a temporary Scalar; multiply the tensor by itself",
            { Name: "pow" or "softplus" or "elu" or "celu" or "hardtanh" or "threshold" } when c.Parameters.Any(Primitives.Contains) => "converts a number to a temporary Scalar",
            { DeclaringType: "TorchSharp.TensorExtensionMethods", Name: "ToSingle" or "ToDouble" or "ToInt32" or "ToInt64" or "ToBoolean" or "ToHalf" }
                => "creates a Scalar it never disposes; use item<T>()",
            { Name: "step" } when c.DeclaringType.Contains("+optim", StringComparison.Ordinal) || c.DeclaringType.StartsWith("TorchSharp.Modules.", StringComparison.Ordinal)
                => "TorchSharp's optimizer step creates temporary Scalars; use OwnedScalarSteps.Step",
            { DeclaringType: "TorchSharp.ScalarExtensionMethods" } when !ScalarOwners.Any(o => c.Caller.StartsWith(o + ".") || c.Caller.StartsWith(o + "+")) => "a Scalar made outside TorchScalars / OwnedScalarSteps",
            _ => null,
        };
    }

    [Fact]
    public void No_torch_call_in_src_creates_a_scalar_that_nobody_owns()
    {
        var found = Assemblies.SelectMany(a => TorchCallSites.In(Path.Combine(AppContext.BaseDirectory, a)))
            .Select(c => (Call: c, Why: Violation(c))).Where(v => v.Why is not null)
            .Select(v => $"{v.Call}: {v.Why}").Distinct().ToList();
        Assert.True(found.Count == 0, $"{found.Count} unowned Scalars (pass a TorchScalars value or a tensor):\n" + string.Join("\n", found));
    }
}
