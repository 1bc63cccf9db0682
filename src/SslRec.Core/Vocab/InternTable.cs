using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SslRec.Core.Vocab;

/// <summary>
/// Numbers distinct strings 1, 2, … in order of first appearance (0 is reserved for "missing" and never
/// stored). Built for the map stage's hot loop, where one column may bring millions of distinct ids:
/// the characters of every value live in one growing arena and the table is open addressing over int
/// arrays, so a new value costs a copy into the arena instead of a string object, and the garbage
/// collector sees a handful of arrays instead of millions of strings. (The Dictionary&lt;string,int&gt; it
/// replaced ran the generated user_id column at 53 MB/s.)
/// </summary>
public sealed class InternTable
{
    private char[] _chars = new char[4096];
    private int _charCount;
    private long[] _entries = new long[64]; // by id: arena start << 32 | length
    // Power of two; each slot is hash << 32 | id, or 0 for empty. Keeping the hash beside the id means a
    // probe touches the text only on a probable match, and growing never re-reads the text: each
    // look-up in a table of millions costs about two cache misses instead of five.
    private ulong[] _slots = new ulong[128];
    private int _count = 1;               // ids in use including the reserved 0

    /// <summary>Number of ids including the reserved 0.</summary>
    public int Count => _count;

    /// <summary>The text of an id (empty for 0); valid until the next <see cref="IdOf"/>.</summary>
    public ReadOnlySpan<char> this[int id] => Text(_entries[id]);

    private ReadOnlySpan<char> Text(long entry) => _chars.AsSpan((int)(entry >> 32), (int)entry);

    /// <summary>The id of a non-empty value, adding it if new.</summary>
    public int IdOf(ReadOnlySpan<char> value)
    {
        var hash = Hash(value);
        var id = Probe(value, hash, out var slot);
        return id != 0 ? id : Add(value, hash, slot);
    }

    /// <summary>The id of a non-empty value, or 0 when it is not in the table (nothing is added).</summary>
    public int Find(ReadOnlySpan<char> value) => Probe(value, Hash(value), out _);

    /// <summary>The value's id, or 0 and the empty slot where it would go.</summary>
    private int Probe(ReadOnlySpan<char> value, int hash, out int slot)
    {
        var mask = _slots.Length - 1;
        slot = hash & mask;
        while (true)
        {
            var s = _slots[slot];
            if (s == 0) return 0;
            if ((int)(s >> 32) == hash && Text(_entries[(int)s]).SequenceEqual(value)) return (int)s;
            slot = (slot + 1) & mask;
        }
    }

    private int Add(ReadOnlySpan<char> value, int hash, int slot)
    {
        var id = _count++;
        if (id == _entries.Length) Array.Resize(ref _entries, id * 2);
        if (_charCount + value.Length > _chars.Length)
            Array.Resize(ref _chars, Math.Max(_chars.Length * 2, _charCount + value.Length));
        value.CopyTo(_chars.AsSpan(_charCount));
        _entries[id] = (long)_charCount << 32 | (uint)value.Length;
        _charCount += value.Length;
        _slots[slot] = (ulong)hash << 32 | (uint)id;
        if (_count * 2 > _slots.Length) Grow(); // load factor ≤ 1/2 keeps probe runs short
        return id;
    }

    private void Grow()
    {
        var slots = new ulong[_slots.Length * 2];
        var mask = slots.Length - 1;
        foreach (var s in _slots)
        {
            if (s == 0) continue;
            var slot = (int)(s >> 32) & mask;
            while (slots[slot] != 0) slot = (slot + 1) & mask;
            slots[slot] = s;
        }
        _slots = slots;
    }

    /// <summary>
    /// A fast non-cryptographic hash, 8 bytes at a time. Only equal-text detection depends on it (never
    /// ids or output order), so it may change freely; it is not <see cref="Util.StableHash"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(ReadOnlySpan<char> value)
    {
        var bytes = MemoryMarshal.AsBytes(value);
        var h = 0x9E3779B97F4A7C15UL ^ (ulong)bytes.Length;
        while (bytes.Length >= 8)
        {
            h = (h ^ MemoryMarshal.Read<ulong>(bytes)) * 0xBF58476D1CE4E5B9UL;
            h = BitOperations.RotateLeft(h, 29);
            bytes = bytes[8..];
        }
        ulong tail = 0;
        for (var i = 0; i < bytes.Length; i++) tail |= (ulong)bytes[i] << (8 * i);
        h = (h ^ tail) * 0x94D049BB133111EBUL;
        h ^= h >> 32;
        h *= 0xBF58476D1CE4E5B9UL;
        return (int)(h >> 33); // non-negative
    }
}
