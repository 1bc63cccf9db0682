using System.Runtime.InteropServices;

namespace SslRec.Core.Vocab;

/// <summary>
/// Counts the values of one feature. Lookups take spans, so counting a value seen before allocates nothing;
/// only a value's first occurrence becomes a string. Counters of different shards can be merged.
/// </summary>
public sealed class ValueCounter
{
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public ValueCounter() => _lookup = _counts.GetAlternateLookup<ReadOnlySpan<char>>();

    public int Distinct => _counts.Count;

    public void Add(ReadOnlySpan<char> value, long count = 1)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_lookup, value, out _);
        slot += count;
    }

    /// <summary>Adds each non-empty value of a separator-joined bag (or the single value when separator is null).</summary>
    public void AddValues(ReadOnlySpan<char> text, char? separator, long count = 1)
    {
        if (separator is not { } sep)
        {
            if (!text.IsEmpty) Add(text, count);
            return;
        }
        foreach (var range in text.Split(sep))
        {
            var v = text[range].Trim();
            if (!v.IsEmpty) Add(v, count);
        }
    }

    public long this[string value] => _counts.GetValueOrDefault(value);

    public void Merge(ValueCounter other)
    {
        foreach (var (value, count) in other._counts)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_counts, value, out _);
            slot += count;
        }
    }

    public IEnumerable<KeyValuePair<string, long>> Entries => _counts;
}
