using System.Runtime.InteropServices;

namespace SslRec.Core.Vocab;

/// <summary>
/// The values one shard has seen for one feature, numbered in order of first appearance (1, 2, …; 0 is
/// missing), with how often each occurred in training rows. A shard encodes its rows with these local
/// ids; the reduce step maps them to the global vocabulary once every shard's counts are known.
/// </summary>
public sealed class LocalDictionary : IIdMapper
{
    private readonly List<string> _values = [""];
    private readonly List<long> _counts = [0];
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public LocalDictionary() => _lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();

    public LocalDictionary(IReadOnlyList<string> values, IReadOnlyList<long> counts) : this()
    {
        for (var i = 1; i < values.Count; i++)
        {
            _ids.Add(values[i], i);
            _values.Add(values[i]);
            _counts.Add(counts[i]);
        }
    }

    /// <summary>Number of ids including 0.</summary>
    public int Count => _values.Count;
    /// <summary>Values by local id; index 0 is the empty (missing) value.</summary>
    public IReadOnlyList<string> Values => _values;
    public IReadOnlyList<long> Counts => _counts;

    public string this[int id] => _values[id];

    public int IdOf(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty) return 0;
        ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_lookup, value, out var exists);
        if (!exists)
        {
            id = _values.Count;
            _values.Add(value.ToString());
            _counts.Add(0);
        }
        return id;
    }

    public void AddCount(int id, long n = 1)
    {
        if (id != 0) _counts[id] += n;
    }

    /// <summary>Adds this dictionary's counts to a global counter (values never counted are skipped).</summary>
    public void AddCountsTo(ValueCounter counter)
    {
        for (var i = 1; i < _values.Count; i++)
            if (_counts[i] > 0) counter.Add(_values[i], _counts[i]);
    }
}
