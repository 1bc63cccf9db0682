namespace SslRec.Core.Util;

/// <summary>
/// A small, fast, seedable generator (xoshiro256**) whose stream is fully determined by its seed words.
/// Training derives a fresh one per (seed, epoch, step), so a resumed run replays exactly the same
/// shuffles, masks and samples as an uninterrupted one without saving generator state.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    public Rng(ulong seed, ulong stream = 0, ulong position = 0)
    {
        var x = StableHash.Mix(seed ^ StableHash.Mix(stream * 0xD1B54A32D192ED03UL) ^ StableHash.Mix(position + 0x8CB92BA72F3D8DD7UL));
        _s0 = StableHash.Mix(x);
        _s1 = StableHash.Mix(_s0);
        _s2 = StableHash.Mix(_s1);
        _s3 = StableHash.Mix(_s2);
    }

    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform integer in [0, n) without modulo bias (Lemire's method).</summary>
    public int Next(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        var m = (UInt128)(uint)(NextUInt64() >> 32) * (uint)n;
        return (int)(m >> 32);
    }

    public double NextDouble() => StableHash.Unit(NextUInt64());

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
