using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SslRec.Training;

/// <summary>
/// Tensors made from host arrays by copying into memory that libtorch allocates: no tensor SslRec makes
/// ever points into managed memory.
///
/// Why: TorchSharp 0.107's array factories keep the tensor over a managed array for the tensor's whole
/// life. torch.tensor(T[]) clones the array and hands libtorch the clone's address, pinned by a GCHandle
/// that only the storage's deleter frees (Tensor.Factories.cs, _tensor_generic; from_array, as_tensor and
/// frombuffer do the same without the clone). That holds only while the tensor is alive: a tensor its
/// finalizer frees while libtorch still reads it (see <see cref="TorchScalars"/> for how that happens)
/// releases the pin, and a compacting collection (LargeHeap.Compact, GC.Collect with CompactOnce) may then
/// move or reuse that memory under libtorch. Pinned clones also fragment the heap the compaction is for
/// (a published corpus of 200k × 64 floats was a 51 MB pinned array per recommend query), and their
/// address decides which elements MKL sums in one SIMD lane: the same query scored a few ulps differently
/// depending on where the collector had put the clone. libtorch's allocator returns 64-byte aligned memory
/// that only libtorch owns and no collector moves.
///
/// tests/SslRec.Tests/Reliability/ManagedMemoryTensorTests.cs fails on any call in SslRec's torch code
/// to a TorchSharp factory that makes a tensor over a managed array or span.
/// </summary>
public static class HostTensors
{
    /// <summary>A 1-D tensor holding a copy of <paramref name="values"/>.</summary>
    public static Tensor From<T>(ReadOnlySpan<T> values, Device? device = null) where T : unmanaged =>
        From(values, [values.Length], device);

    /// <summary>A tensor of the given shape holding a copy of <paramref name="values"/> (row-major).</summary>
    public static Tensor From<T>(ReadOnlySpan<T> values, ReadOnlySpan<long> shape, Device? device = null) where T : unmanaged
    {
        var tensor = empty(shape, TypeOf<T>(), CPU);
        if (tensor.numel() != values.Length)
        {
            tensor.Dispose();
            throw new ArgumentException($"{values.Length} values do not fill a tensor of shape [{string.Join(", ", shape.ToArray())}]");
        }
        // Managed → native, on this thread, before returning: libtorch never sees the managed span.
        var chunk = int.MaxValue / System.Runtime.CompilerServices.Unsafe.SizeOf<T>(); // a Span<byte> holds at most 2 GiB
        if (values.Length <= chunk) MemoryMarshal.AsBytes(values).CopyTo(tensor.bytes);
        else
        {
            using var flat = tensor.view(-1);
            for (var start = 0; start < values.Length; start += chunk)
            {
                var n = Math.Min(chunk, values.Length - start);
                using var part = flat.narrow(0, start, n);
                MemoryMarshal.AsBytes(values.Slice(start, n)).CopyTo(part.bytes);
            }
        }
        return OnDevice(tensor, device);
    }

    /// <summary>A 1-D Int64 tensor of int values (row and item indices), widened while copied.</summary>
    public static Tensor Int64(ReadOnlySpan<int> values, Device? device = null)
    {
        var tensor = empty(values.Length, ScalarType.Int64, CPU);
        var chunk = int.MaxValue / sizeof(long);
        for (var start = 0; start < values.Length; start += chunk)
        {
            var n = Math.Min(chunk, values.Length - start);
            using var part = n == values.Length ? null : tensor.narrow(0, start, n);
            var destination = MemoryMarshal.Cast<byte, long>((part ?? tensor).bytes);
            for (var i = 0; i < n; i++) destination[i] = values[start + i];
        }
        return OnDevice(tensor, device);
    }

    private static Tensor OnDevice(Tensor tensor, Device? device)
    {
        if (device is null || device.type == DeviceType.CPU) return tensor;
        var moved = tensor.to(device);
        tensor.Dispose();
        return moved;
    }

    private static ScalarType TypeOf<T>() =>
        typeof(T) == typeof(long) ? ScalarType.Int64
        : typeof(T) == typeof(int) ? ScalarType.Int32
        : typeof(T) == typeof(short) ? ScalarType.Int16
        : typeof(T) == typeof(byte) ? ScalarType.Byte
        : typeof(T) == typeof(float) ? ScalarType.Float32
        : typeof(T) == typeof(double) ? ScalarType.Float64
        : typeof(T) == typeof(bool) ? ScalarType.Bool
        : throw new NotSupportedException($"no tensor element type for {typeof(T).Name}");
}
