namespace SslRec.Core.Util;

/// <summary>
/// Hashes that never change between runs, processes or machines (unlike string.GetHashCode), so that
/// out-of-vocabulary buckets and the hold-out split are reproducible everywhere.
/// </summary>
public static class StableHash
{
    private const ulong FnvOffset = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;

    /// <summary>FNV-1a over UTF-16 code units, finished with a SplitMix64 mix for good low bits.</summary>
    public static ulong Hash(ReadOnlySpan<char> text, ulong seed = 0) => Finish(Add(Start(seed), text));

    /// <summary>The state of an FNV-1a hash fed piece by piece: Start, Add…, Finish (the same as <see cref="Hash"/> of the pieces' concatenation).</summary>
    public static ulong Start(ulong seed) => FnvOffset ^ Mix(seed);

    public static ulong Add(ulong state, ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            state ^= c;
            state *= FnvPrime;
        }
        return state;
    }

    public static ulong Add(ulong state, char c) => (state ^ c) * FnvPrime;

    public static ulong Finish(ulong state) => Mix(state);

    /// <summary>SplitMix64 finaliser: a bijective avalanche of 64 bits.</summary>
    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Maps a hash to [0, 1) using its top 53 bits.</summary>
    public static double Unit(ulong hash) => (hash >> 11) * (1.0 / (1UL << 53));
}
