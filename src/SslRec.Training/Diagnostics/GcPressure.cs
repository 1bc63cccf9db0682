namespace SslRec.Training.Diagnostics;

/// <summary>
/// A background thread that forces a gen-0 collection (and runs finalizers) every millisecond or two, so
/// that any TorchSharp object left unreachable while libtorch still uses it is finalized mid-call: the
/// failure that otherwise strikes at random when other threads (queue pollers, logging) allocate. Used by
/// the forced-GC tests and `bench/gc-stress.sh`.
/// </summary>
public sealed class GcPressure : IDisposable
{
    private volatile bool _stop;
    private readonly Thread _thread;
    public int Collections { get; private set; }

    public GcPressure(int intervalMs = 1)
    {
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                GC.Collect(0, GCCollectionMode.Forced, blocking: true);
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
