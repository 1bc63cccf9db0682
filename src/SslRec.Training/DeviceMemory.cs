using System.Globalization;
using System.Runtime.InteropServices;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Training;

/// <summary>
/// How much memory a training device has available now. The host: the smaller of Linux's MemAvailable
/// (/proc/meminfo: free memory plus what the kernel can reclaim) and the process's limit as .NET sees it
/// (a container's memory limit, else physical memory) less what the process already uses. A CUDA device:
/// TorchSharp 0.107 has no memory query, so NVML's (libnvidia-ml, present wherever the NVIDIA driver is)
/// free memory of the device; null when it cannot be read, and then the device is not checked.
/// </summary>
public static class DeviceMemory
{
    public static AvailableMemory? Available(Device device) =>
        device.type == TorchSharp.DeviceType.CUDA ? Cuda(device.index < 0 ? 0 : device.index) : Host();

    public static AvailableMemory? Host()
    {
        var limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        var used = Environment.WorkingSet;
        var candidates = new List<(long Bytes, string Source)>();
        if (limit > 0) candidates.Add((Math.Max(0, limit - used), $"memory limit {ModelMemory.Size(limit)} less {ModelMemory.Size(used)} this process uses"));
        if (MemAvailable() is { } free) candidates.Add((free, "MemAvailable in /proc/meminfo"));
        if (candidates.Count == 0) return null;
        var (bytes, source) = candidates.MinBy(c => c.Bytes);
        return new AvailableMemory("cpu", bytes, source);
    }

    private static long? MemAvailable()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries); // "MemAvailable:", "123456", "kB"
                    return long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb * 1024 : null;
                }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>
    /// Free memory of CUDA device <paramref name="index"/> by NVML. NVML numbers GPUs by PCI bus, CUDA by
    /// CUDA_VISIBLE_DEVICES and speed; with one GPU (the GPU job) they agree. With several and no plain
    /// index to map, the largest free memory among them is used, so the check never refuses a model that
    /// could fit.
    /// </summary>
    private static AvailableMemory? Cuda(int index)
    {
        try
        {
            if (Nvml.nvmlInit_v2() != 0) return null;
            try
            {
                if (Nvml.nvmlDeviceGetCount_v2(out var count) != 0 || count == 0) return null;
                // With one GPU, or CUDA numbering by PCI bus as NVML does, the device maps to one NVML index.
                uint? exact = null;
                if (count == 1 || Environment.GetEnvironmentVariable("CUDA_DEVICE_ORDER") == "PCI_BUS_ID")
                {
                    var visible = Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                    if (visible is not { Length: > 0 }) exact = (uint)index;
                    else if (index < visible.Length && uint.TryParse(visible[index], NumberStyles.None, CultureInfo.InvariantCulture, out var mapped)) exact = mapped;
                    if (count == 1) exact = 0;
                }
                IEnumerable<uint> candidates = exact is { } e && e < count ? [e] : Enumerable.Range(0, (int)count).Select(i => (uint)i);
                ulong best = 0;
                var any = false;
                foreach (var i in candidates)
                    if (Nvml.nvmlDeviceGetHandleByIndex_v2(i, out var handle) == 0 && Nvml.nvmlDeviceGetMemoryInfo(handle, out var memory) == 0)
                    {
                        best = Math.Max(best, memory.Free);
                        any = true;
                    }
                return any ? new AvailableMemory($"cuda:{index}", (long)Math.Min(best, long.MaxValue), "free GPU memory reported by NVML") : null;
            }
            finally
            {
                Nvml.nvmlShutdown();
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return null;
        }
    }

    /// <summary>The few NVML calls used (nvml.h; all return 0 on success).</summary>
    private static class Nvml
    {
        private const string Library = "libnvidia-ml.so.1";

        [StructLayout(LayoutKind.Sequential)]
        public struct Memory
        {
            public ulong Total;
            public ulong Free;
            public ulong Used;
        }

        [DllImport(Library)] public static extern int nvmlInit_v2();
        [DllImport(Library)] public static extern int nvmlShutdown();
        [DllImport(Library)] public static extern int nvmlDeviceGetCount_v2(out uint count);
        [DllImport(Library)] public static extern int nvmlDeviceGetHandleByIndex_v2(uint index, out IntPtr device);
        [DllImport(Library)] public static extern int nvmlDeviceGetMemoryInfo(IntPtr device, out Memory memory);
    }
}
