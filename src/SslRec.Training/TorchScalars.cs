using System.Collections.Concurrent;
using TorchSharp;

namespace SslRec.Training;

/// <summary>
/// The Scalars SslRec hands to TorchSharp, each owned here for the life of the process.
///
/// Why: a TorchSharp Scalar owns a native torch::Scalar that its finalizer frees, and TorchSharp passes
/// only the handle to libtorch (no GC.KeepAlive). A temporary Scalar — from an implicit conversion
/// (<c>x.div(tau)</c>), a tensor–number operator (<c>alpha * loss</c>) or a default argument — is
/// unreachable once its handle is read, so a GC started by any other thread (queue pollers, lease
/// renewal, logging) can free it while libtorch still reads it: "Expected false to be true ... toFloat".
/// A Scalar held by this cache is always reachable, so it is never finalized.
///
/// Use it for constants and sizes (temperatures, weights, batch and block sizes): the set of distinct
/// values a process meets is small. Any call in SslRec's torch code that would create an unowned Scalar is a
/// build error (src/BannedSymbols.TorchSharp.txt; tests/SslRec.Tests/Reliability/ScalarOwnershipTests.cs
/// checks the compiled code too).
/// </summary>
public static class TorchScalars
{
    private static readonly ConcurrentDictionary<double, Scalar> Doubles = new();
    private static readonly ConcurrentDictionary<long, Scalar> Longs = new();

    /// <summary>A floating-point (Float64) Scalar.</summary>
#pragma warning disable RS0030 // the one cache that may make Scalars: each is kept for the life of the process
    public static Scalar Of(double value) => Doubles.GetOrAdd(value, static v => v.ToScalar());

    /// <summary>An integral (Int64) Scalar.</summary>
    public static Scalar Of(long value) => Longs.GetOrAdd(value, static v => v.ToScalar());
#pragma warning restore RS0030

    public static Scalar One => Of(1L);
    public static Scalar Zero => Of(0L);
    public static Scalar NegativeInfinity => Of(double.NegativeInfinity);
}
