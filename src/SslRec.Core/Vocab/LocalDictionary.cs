namespace SslRec.Core.Vocab;

/// <summary>
/// The values one shard has seen for one feature, numbered in order of first appearance (1, 2, …; 0 is
/// missing), with how often each occurred in training rows. A shard encodes its rows with these local
/// ids; the reduce step maps them to the global vocabulary once every shard's counts are known.
/// </summary>
public sealed class LocalDictionary : IIdMapper
{
    private readonly InternTable _table = new();
    private long[] _counts = new long[64];

    public LocalDictionary() => Values = new ValueView(_table);

    public LocalDictionary(IReadOnlyList<string> values, IReadOnlyList<long> counts) : this()
    {
        for (var i = 1; i < values.Count; i++)
        {
            if (IdOf(values[i]) != i) throw new ArgumentException($"value '{values[i]}' is listed twice", nameof(values));
            AddCount(i, counts[i]);
        }
    }

    /// <summary>Number of ids including 0.</summary>
    public int Count => _table.Count;
    /// <summary>Values by local id; index 0 is the empty (missing) value. Each access makes a string.</summary>
    public IReadOnlyList<string> Values { get; }
    public IReadOnlyList<long> Counts => new ArraySegment<long>(_counts, 0, _table.Count);
    /// <summary>The interned values and their counts by id (the array may be longer), for code that orders them without making strings.</summary>
    internal InternTable Table => _table;
    internal long[] CountArray => _counts;

    public string this[int id] => _table[id].ToString();

    /// <summary>The text of an id without allocating a string (valid until the next <see cref="IdOf"/>).</summary>
    public ReadOnlySpan<char> Text(int id) => _table[id];

    public int IdOf(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty) return 0;
        var id = _table.IdOf(value);
        if (id == _counts.Length) Array.Resize(ref _counts, _counts.Length * 2);
        return id;
    }

    public void AddCount(int id, long n = 1)
    {
        if (id != 0) _counts[id] += n;
    }

    /// <summary>local id → the global vocabulary's id of the same value (0 stays 0).</summary>
    public int[] GlobalIds(Vocabulary global)
    {
        var map = new int[_table.Count];
        for (var i = 1; i < map.Length; i++) map[i] = global.IdOf(_table[i]);
        return map;
    }

    /// <summary>Adds another dictionary's values and counts to this one; returns its local id → this dictionary's id.</summary>
    public int[] Merge(LocalDictionary other)
    {
        var map = new int[other.Count];
        for (var i = 1; i < map.Length; i++)
        {
            map[i] = IdOf(other.Text(i));
            AddCount(map[i], other._counts[i]);
        }
        return map;
    }

    /// <summary>Adds this dictionary's counts to a global counter (values never counted are skipped).</summary>
    public void AddCountsTo(ValueCounter counter)
    {
        for (var i = 1; i < _table.Count; i++)
            if (_counts[i] > 0) counter.Add(_table[i], _counts[i]);
    }

    private sealed class ValueView(InternTable table) : IReadOnlyList<string>
    {
        public string this[int index] => (uint)index < (uint)table.Count ? table[index].ToString() : throw new ArgumentOutOfRangeException(nameof(index));
        public int Count => table.Count;
        public IEnumerator<string> GetEnumerator()
        {
            for (var i = 0; i < table.Count; i++) yield return table[i].ToString();
        }
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
