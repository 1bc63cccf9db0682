using System.Runtime.CompilerServices;
using SslRec.Tests.Training;
using SslRec.Training.Diagnostics;
using TorchSharp;

namespace SslRec.Tests.Reliability;

/// <summary>
/// Tests that must run alone: they count tensors freed by the finalizer thread (any other test's garbage
/// would count too) or force full compacting collections process-wide (which other tests' own torch
/// code should not have to survive).
/// </summary>
[CollectionDefinition(nameof(RunsAlone), DisableParallelization = true)]
public sealed class RunsAlone;

/// <summary>
/// Issue 24, item 12: a segfault in libtorch_cpu.so on a thread-pool thread, once in about ten test runs,
/// after map/reduce/remap began forcing full compacting collections. TorchSharp frees a Tensor's native
/// tensor in its finalizer and passes libtorch only the handle, so a tensor that managed code no longer
/// references — a temporary argument, the receiver of a chained call — can be freed by a collection on
/// any other thread while libtorch is still inside the call that reads it (`bench/gc-stress.sh --gc
/// compacting` runs a canary that crashes exactly so). Training steps and evaluation held their tensors
/// in DisposeScopes; product-quantization decode, embeddings export, warm start, serving-size accounting
/// and compact-table reads did not.
/// </summary>
[Collection(nameof(RunsAlone))]
public class TensorLifetimeTests
{
    /// <summary>
    /// A whole cycle (train, evaluate, quantize, export, same-data recall with a warm start, a query
    /// encoded and ranked, a DPQ run and its compact tables read back) disposes every tensor it makes, so
    /// the finalizer thread never frees one, mid-call or otherwise. Before the fix it left 244 to the
    /// finalizer.
    /// </summary>
    [Fact]
    public void A_whole_cycle_leaves_no_tensor_to_the_finalizer()
    {
        using var dir = new TempDirectory();
        _ = TinyData.Data; // read first: nothing of the data reading counts
        var before = FinalizedTensors();
        OnNewThread(() => GcCycle.Run(TinyData.Data, dir.Path, steps: 10));
        var finalized = FinalizedTensors() - before;
        Assert.True(finalized == 0, $"{finalized} tensors were freed by the finalizer thread instead of a Dispose or DisposeScope");
    }

    /// <summary>
    /// The same cycle while another thread forces full, blocking, compacting collections of every
    /// generation and the large-object heap (LargeHeap.Compact's collection, back to back): no native
    /// error and the very same results — losses, Recall, quantized Recall, the ranked query's scores to
    /// the last bit, DPQ compact tables. A short smoke run: on this tiny corpus the code before the fix
    /// passed it too (3 of 3 runs); `bash bench/gc-stress.sh --gc compacting` is the long one, and the
    /// count above is the deterministic check.
    /// </summary>
    [Fact]
    public void A_whole_cycle_under_compacting_collections_gives_the_same_outputs()
    {
        using var dir = new TempDirectory();
        var calm = OnNewThread(() => GcCycle.Run(TinyData.Data, Path.Combine(dir.Path, "calm"), steps: 10));
        string stressed;
        int collections;
        using (var gc = new GcPressure(kind: GcPressureKind.FullCompacting))
        {
            stressed = OnNewThread(() => GcCycle.Run(TinyData.Data, Path.Combine(dir.Path, "stressed"), steps: 10));
            collections = gc.Collections;
        }
        Assert.True(collections >= 20, $"only {collections} forced collections ran");
        Assert.Equal(calm, stressed);
    }

    /// <summary>On a thread of its own, as the pipeline's worker trains on a thread-pool thread: no ambient DisposeScope.</summary>
    private static T OnNewThread<T>(Func<T> work)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { result = work(); }
            catch (Exception e) { error = e; }
        });
        thread.Start();
        thread.Join();
        if (error is not null) throw new InvalidOperationException("the cycle failed", error);
        return result;
    }

    /// <summary>
    /// How many tensors the finalizer thread has disposed so far: TorchSharp counts disposals per thread
    /// (DisposeScopeManager.Statistics is thread-static), so a finalizer of our own reads the finalizer
    /// thread's count after every pending finalizer has run.
    /// </summary>
    private static long FinalizedTensors()
    {
        for (var i = 0; i < 2; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        long count = -1;
        using var read = new ManualResetEventSlim();
        Probe.Leave(c => { count = c; read.Set(); });
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.True(read.Wait(TimeSpan.FromSeconds(10)), "the probe was not finalized");
        return count;
    }

    private sealed class Probe(Action<long> report)
    {
        ~Probe()
        {
            var s = DisposeScopeManager.Statistics.TensorStatistics;
            report(s.DisposedOutsideScopeCount + s.DisposedInScopeCount);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Leave(Action<long> report) => _ = new Probe(report);
    }
}
