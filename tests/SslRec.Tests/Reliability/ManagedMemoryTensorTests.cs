using TorchSharp;

namespace SslRec.Tests.Reliability;

/// <summary>
/// No call in SslRec's torch code makes a tensor over managed memory. TorchSharp 0.107's array factories
/// hand libtorch the address of a managed array — torch.tensor(T[] / IList / Memory) a pinned clone,
/// from_array, as_tensor and frombuffer the caller's own array (Tensor.Factories.cs, _tensor_generic and
/// frombuffer) — pinned until the tensor's storage is freed. A tensor its finalizer frees while libtorch
/// still reads it releases that pin, and a compacting collection may move the memory under libtorch.
/// SslRec copies host arrays into libtorch-allocated tensors instead (HostTensors).
/// </summary>
public class ManagedMemoryTensorTests
{
    private static readonly string[] Assemblies = ["SslRec.Training.dll", "SslRec.Worker.dll", "SslRec.Experiments.dll"];

    /// <summary>Why a call makes a tensor over managed memory, or null when it does not (scalar overloads make a native scalar).</summary>
    public static string? Violation(TorchCallSites.Call c) => c switch
    {
        { DeclaringType: "TorchSharp.torch", Name: "from_array" or "as_tensor" or "frombuffer" } => "shares the caller's array with libtorch",
        { DeclaringType: "TorchSharp.torch", Name: "tensor", Parameters.Length: > 0 } when OverManagedMemory(c.Parameters[0]) =>
            "keeps the tensor over a pinned managed clone of the array; use HostTensors.From",
        _ => null,
    };

    private static bool OverManagedMemory(string type) =>
        type.EndsWith(']') || type is "System.Collections.Generic.IList`1" or "System.Memory`1" or "System.Collections.Generic.IEnumerable`1";

    [Fact]
    public void No_torch_call_in_src_makes_a_tensor_over_managed_memory()
    {
        var found = Assemblies.SelectMany(a => TorchCallSites.In(Path.Combine(AppContext.BaseDirectory, a)))
            .Select(c => (Call: c, Why: Violation(c))).Where(v => v.Why is not null)
            .Select(v => $"{v.Call}: {v.Why}").Distinct().ToList();
        Assert.True(found.Count == 0, $"{found.Count} tensors over managed memory:\n" + string.Join("\n", found));
    }

    /// <summary>The rule matches TorchSharp's real signatures: the calls in <see cref="Samples"/>, found in this assembly's IL.</summary>
    [Fact]
    public void The_scan_finds_each_kind_of_factory_over_a_managed_array()
    {
        var found = TorchCallSites.In(typeof(ManagedMemoryTensorTests).Assembly.Location)
            .Where(c => c.Caller == $"{typeof(ManagedMemoryTensorTests).FullName}.{nameof(Samples)}")
            .Where(c => Violation(c) is not null).Select(c => c.Name).ToList();
        Assert.Equal(["tensor", "tensor", "tensor", "from_array", "as_tensor", "frombuffer"], found);
    }

    /// <summary>Never run: the IL the test above scans (five factories over managed memory, and scalar tensors that are not).</summary>
    private static void Samples()
    {
        torch.tensor(new float[] { 1, 2 });
        torch.tensor(new long[] { 1, 2 }, [2, 1]);
        torch.tensor(new List<float> { 1, 2 });
        torch.tensor(3f);
        torch.tensor(3L);
        torch.from_array(new float[] { 1, 2 });
        torch.as_tensor(new float[] { 1, 2 });
        torch.frombuffer(new float[] { 1, 2 }, torch.ScalarType.Float32);
    }
}
