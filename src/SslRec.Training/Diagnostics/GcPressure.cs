using System.Runtime;

namespace SslRec.Training.Diagnostics;

/// <summary>How <see cref="GcPressure"/> collects.</summary>
public enum GcPressureKind
{
    /// <summary>Gen-0 collections: finalize objects that died young (temporaries of the current call).</summary>
    Gen0,

    /// <summary>
    /// Full, blocking, compacting collections with the large-object heap compacted too (what
    /// <c>LargeHeap.Compact</c> does after a map, reduce or remap message): also finalizes objects that lived
    /// long enough to be promoted (which gen-0 collections never reach) and moves every unpinned array.
    /// </summary>
    FullCompacting,
}

/// <summary>
/// A background thread that forces collections (and runs finalizers) back to back, so that any TorchSharp
/// object left unreachable while libtorch still uses it is finalized mid-call: the failure that otherwise
/// strikes at random when other threads (queue pollers, logging, a pipeline stage compacting the heap)
/// collect. Used by the forced-GC tests and `bench/gc-stress.sh`.
/// </summary>
public sealed class GcPressure : IDisposable
{
    private volatile bool _stop;
    private readonly Thread _thread;
    public int Collections { get; private set; }

    public GcPressure(int intervalMs = 1, GcPressureKind kind = GcPressureKind.Gen0)
    {
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                if (kind == GcPressureKind.Gen0) GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                else
                {
                    GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
                    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                }
                GC.WaitForPendingFinalizers();
                Collections++;
                Thread.Sleep(intervalMs);
            }
        }) { IsBackground = true, Name = "gc-pressure" };
        _thread.Start();
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
