namespace SslRec.Tests.Reliability;

/// <summary>
/// Which TorchSharp members make TorchSharp create a Scalar that nobody keeps alive. Such a Scalar owns a
/// native torch::Scalar freed by its finalizer; TorchSharp passes only its handle to libtorch, so a GC on any
/// other thread (queue pollers, lease renewal, logging) can free it mid-call — the "Expected false to be
/// true ... toFloat" crash in masked_fill. Read from TorchSharp 0.107's source (Tensor.cs,
/// Tensor.Operators.cs, TensorExtensionMethods.cs, Optimizers/*.cs).
///
/// One rule set, two uses: <see cref="BannedTorchSymbolsTests"/> derives src/BannedSymbols.TorchSharp.txt
/// from it (what the compiler refuses), and <see cref="ScalarOwnershipTests"/> scans the compiled IL with it
/// (what the analyzer cannot see).
/// </summary>
public static class UnownedScalarRules
{
    /// <summary>Parameter types (as <see cref="TorchCallSites"/> names them) that TorchSharp turns into a temporary Scalar.</summary>
    private static readonly HashSet<string> Primitives = ["Double", "Single", "Int32", "Int64", "Boolean", "Byte", "Int16"];

    /// <summary>The one TorchSharp type whose every member makes a Scalar: allowed only where SslRec owns what it makes.</summary>
    public const string ScalarFactory = "TorchSharp.ScalarExtensionMethods";

    /// <summary>Where SslRec itself makes Scalars, each one owned (a process-lifetime cache, or `using` in the optimizer step).</summary>
    public static readonly string[] ScalarOwners = ["SslRec.Training.TorchScalars", "SslRec.Training.Loop.OwnedScalarSteps"];

    /// <summary>Why calling this member creates an unowned Scalar (and what to use instead), or null when it does not.</summary>
    public static string? Why(string declaringType, string name, IReadOnlyList<string> parameters)
    {
        var tensor = declaringType == "TorchSharp.torch+Tensor";
        return (declaringType, name) switch
        {
            ("TorchSharp.Scalar", "op_Implicit") => "an implicit conversion to a Scalar nobody owns; pass TorchScalars.Of(x)",
            (_, "op_Addition" or "op_Subtraction" or "op_Multiply" or "op_Division" or "op_GreaterThan" or "op_LessThan")
                when parameters.Any(Primitives.Contains) => "a tensor–number operator converts the number to a temporary Scalar; use the method with TorchScalars.Of(x)",
            (_, "add" or "add_") when tensor && parameters.Count == 1 => "add without alpha passes a temporary Scalar 1; pass TorchScalars.One",
            (_, "square") when tensor => "square() is pow(2) with a temporary Scalar; multiply the tensor by itself",
            (_, "pow" or "softplus" or "elu" or "celu" or "hardtanh" or "threshold") when parameters.Any(Primitives.Contains)
                => "converts a number to a temporary Scalar; pass TorchScalars.Of(x)",
            ("TorchSharp.TensorExtensionMethods", "ToSingle" or "ToDouble" or "ToInt32" or "ToInt64" or "ToBoolean" or "ToHalf")
                => "creates a Scalar it never disposes; use item<T>()",
            (_, "step") when declaringType.Contains("+optim", StringComparison.Ordinal) || declaringType.StartsWith("TorchSharp.Modules.", StringComparison.Ordinal)
                => "TorchSharp's optimizer step creates temporary Scalars; use OwnedScalarSteps.Step",
            _ => null,
        };
    }

    /// <summary>A call found in IL: <see cref="Why"/>, and a Scalar made outside the owners.</summary>
    public static string? Violation(TorchCallSites.Call c) =>
        Why(c.DeclaringType, c.Name, c.Parameters)
        ?? (c.DeclaringType == ScalarFactory && !ScalarOwners.Any(o => c.Caller.StartsWith(o + ".") || c.Caller.StartsWith(o + "+"))
            ? "a Scalar made outside TorchScalars / OwnedScalarSteps" : null);
}
