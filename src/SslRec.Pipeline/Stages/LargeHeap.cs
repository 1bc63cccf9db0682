using System.Runtime;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// After a message that held a shard's worth of large arrays (map, reduce, remap), compacts the
/// large-object heap so the instance's memory returns to what the next message needs. Without it a remap
/// instance's memory grew with every shard it handled even under GC ConserveMemory (25M interactions,
/// 12 shards two at a time: 665 → 971 MB; with it 750–800 MB, flat); the collection takes a fraction of a
/// second against a message's several seconds.
///
/// Skipped in a process that has loaded TorchSharp (a local host that also trains, the test host): one
/// test run in five crashed inside libtorch after this was added, and although forced full collections
/// during training and evaluation did not reproduce it, a forced collection is not worth that doubt where
/// training shares the process. The Functions app and `sslrec host --no-train` never load TorchSharp.
/// </summary>
internal static class LargeHeap
{
    private static bool TrainingInProcess() =>
        AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "TorchSharp");

    public static void Compact()
    {
        if (TrainingInProcess()) return;
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect();
    }
}
