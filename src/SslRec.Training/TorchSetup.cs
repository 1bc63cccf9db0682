using TorchSharp;
using static TorchSharp.torch;

namespace SslRec.Training;

/// <summary>Device choice and process-wide torch settings.</summary>
public static class TorchSetup
{
    /// <summary>auto → CUDA when a GPU is usable, else CPU.</summary>
    public static Device ResolveDevice(string name) => name.ToLowerInvariant() switch
    {
        "auto" => cuda.is_available() ? CUDA : CPU,
        "cpu" => CPU,
        "cuda" => cuda.is_available() ? CUDA : throw new InvalidOperationException("--device cuda: no CUDA device is available (this build uses the CPU backend unless built with -p:TorchBackend=cuda)"),
        _ => throw new ArgumentException($"--device must be auto, cpu or cuda (got '{name}')"),
    };

    private static readonly Lock InitLock = new();

    /// <summary>
    /// Builds a module with torch's global generator seeded first. Layer initialisation draws from that one
    /// global generator, so construction is serialised: two models built at once on different threads
    /// would otherwise interleave their draws. All training randomness is host-side and seeded separately.
    /// </summary>
    public static T CreateSeeded<T>(ulong seed, Func<T> create)
    {
        lock (InitLock)
        {
            random.manual_seed((long)(seed & 0x7FFF_FFFF_FFFF_FFFF));
            return create();
        }
    }
}
