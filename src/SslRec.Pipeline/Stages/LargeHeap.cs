using System.Runtime;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// After a message that held a shard's worth of large arrays (map, reduce, remap), compacts the
/// large-object heap so the instance's memory returns to what the next message needs. Without it a remap
/// instance's memory grew with every shard it handled even under GC ConserveMemory (25M interactions,
/// 12 shards two at a time: 665 → 971 MB; with it 750–800 MB, flat); the collection takes a fraction of a
/// second against a message's several seconds.
///
/// Also in a process that trains (`sslrec host` with training, the test host). It was skipped there after
/// a test run crashed in libtorch_cpu.so (issue 24): the cause was SslRec code that left TorchSharp
/// tensors unreferenced while libtorch still read them (product-quantization decode, embeddings export,
/// warm start, serving-size accounting, compact-table reads), so any collection on another thread could
/// run their finalizers mid-call; a full one reaches promoted objects too, and compaction could move the
/// pinned managed arrays those tensors were made over. Now every such tensor is held by a DisposeScope
/// until its last call returns (a whole train/evaluate/export/warm-start cycle leaves no tensor to the
/// finalizer: TensorLifetimeTests), and no tensor is made over managed memory (HostTensors,
/// ManagedMemoryTensorTests), so this collection finds nothing of ours to free or move under libtorch —
/// no more than the full collections the runtime starts on its own when large arrays are allocated.
/// `bash bench/gc-stress.sh --gc compacting` runs training and that cycle under this collection back to back.
/// </summary>
internal static class LargeHeap
{
    public static void Compact()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect();
    }
}
