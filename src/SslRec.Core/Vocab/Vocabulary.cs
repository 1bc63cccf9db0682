using System.Text.Json;
using System.Text.Json.Serialization;
using SslRec.Core.Util;

namespace SslRec.Core.Vocab;

/// <summary>
/// Maps a feature's values to embedding ids:
/// 0 = missing or masked; 1..N = values seen at least min_count times in training data; N+1..N+B = hashed
/// out-of-vocabulary buckets shared by rare and unseen values, trained like any other id. Ids are stable:
/// the same data and settings always give the same ids. Kept values are ordered by count (descending) then
/// ordinally — within each vocabulary partition when the feature was reduced in partitions
/// (<see cref="VocabularyPartitioning"/>: partition k's values follow those of partitions &lt; k), which with
/// one partition is the global order.
///
/// Held compactly: the values' characters in one arena with an open-addressing index over int arrays
/// (<see cref="InternTable"/>) and the counts in a long[] — about 50 B a value instead of the ≈ 230 B of a
/// Dictionary&lt;string,int&gt; plus a string per value. A vocabulary may also be held by its sizes alone
/// (<see cref="Sized"/>: a partitioned feature in a dataset header, whose values live in the partitions'
/// slices); then <see cref="IdOf"/> and <see cref="Values"/> are not available.
/// </summary>
public sealed class Vocabulary : IIdMapper
{
    public const int MissingId = 0;

    private readonly InternTable? _values; // intern id == vocabulary id (values added in id order)
    private readonly long[]? _counts;
    private readonly int _kept;
    private readonly ulong _hashSeed; // per feature, so two features do not collide in the same way

    public string Feature { get; }
    /// <summary>The in-vocabulary values in id order (ids 1..N); each access makes a string.</summary>
    public IReadOnlyList<string> Values { get; }
    /// <summary>Training count of each in-vocabulary value, aligned with <see cref="Values"/>.</summary>
    public IReadOnlyList<long> Counts { get; }
    public int OovBuckets { get; }
    /// <summary>Training occurrences that fell into the out-of-vocabulary buckets.</summary>
    public long OovCount { get; }
    /// <summary>Number of in-vocabulary values N (ids 1..N).</summary>
    public int Kept => _kept;
    /// <summary>False for a vocabulary held by its sizes only.</summary>
    public bool HasValues => _values is not null;

    /// <summary>Number of embedding rows: missing + values + buckets.</summary>
    public int Size => 1 + _kept + OovBuckets;

    public Vocabulary(string feature, IReadOnlyList<string> values, IReadOnlyList<long> counts, int oovBuckets, long oovCount = 0)
        : this(feature, Intern(values), counts.Count == values.Count ? counts.ToArray() : throw new ArgumentException("values and counts differ in length"), values.Count, oovBuckets, oovCount)
    {
    }

    private Vocabulary(string feature, InternTable? values, long[]? counts, int kept, int oovBuckets, long oovCount)
    {
        if (oovBuckets < 1) throw new ArgumentOutOfRangeException(nameof(oovBuckets));
        Feature = feature;
        _values = values;
        _counts = counts;
        _kept = kept;
        OovBuckets = oovBuckets;
        OovCount = oovCount;
        _hashSeed = SeedOf(feature);
        Values = new ValueView(this);
        Counts = counts is null ? new CountView(this) : new ArraySegment<long>(counts, 0, kept);
    }

    /// <summary>A vocabulary known by its sizes only (its values are elsewhere, e.g. in partition slices).</summary>
    public static Vocabulary Sized(string feature, int kept, int oovBuckets, long oovCount) => new(feature, null, null, kept, oovBuckets, oovCount);

    private static InternTable Intern(IReadOnlyList<string> values)
    {
        var table = new InternTable();
        for (var i = 0; i < values.Count; i++)
            if (values[i].Length == 0 || table.IdOf(values[i]) != i + 1)
                throw new ArgumentException($"value '{values[i]}' is empty or listed twice", nameof(values));
        return table;
    }

    /// <summary>Keeps values with count ≥ minCount, ordered by count (descending) then ordinally.</summary>
    public static Vocabulary Build(string feature, ValueCounter counter, int minCount, int oovBuckets)
    {
        var kept = counter.Entries.Where(e => e.Value >= minCount)
            .OrderByDescending(e => e.Value).ThenBy(e => e.Key, StringComparer.Ordinal).ToList();
        var oov = counter.Entries.Where(e => e.Value < minCount).Sum(e => e.Value);
        return new Vocabulary(feature, kept.Select(e => e.Key).ToList(), kept.Select(e => e.Value).ToList(), oovBuckets, oov);
    }

    /// <summary>
    /// The same rule and order as the <see cref="ValueCounter"/> overload, from an interned dictionary (no string
    /// per value): values counted at least minCount times (and at least once), by count descending, then ordinally.
    /// </summary>
    public static Vocabulary Build(string feature, LocalDictionary values, int minCount, int oovBuckets)
    {
        var counts = values.CountArray;
        var order = KeptInOrder(values.Table, counts, minCount, out var oov);
        var builder = new Builder(feature, oovBuckets);
        foreach (var id in order) builder.Add(values.Text(id), counts[id]);
        builder.AddOov(oov);
        return builder.Build();
    }

    /// <summary>
    /// The ids 1..n of an interned table that a vocabulary keeps (count ≥ minCount and &gt; 0: a value only ever
    /// held out is not one), in vocabulary order (count descending, then ordinal); oov: the others' counts.
    /// </summary>
    public static int[] KeptInOrder(InternTable table, long[] counts, int minCount, out long oov)
    {
        var kept = new IntList();
        oov = 0;
        for (var id = 1; id < table.Count; id++)
        {
            if (counts[id] > 0 && counts[id] >= minCount) kept.Add(id);
            else oov += counts[id];
        }
        var order = kept.ToArray();
        Array.Sort(order, (a, b) => counts[a] != counts[b] ? counts[b].CompareTo(counts[a]) : table[a].SequenceCompareTo(table[b]));
        return order;
    }

    public int IdOf(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty) return MissingId;
        var values = _values ?? throw new InvalidOperationException($"vocabulary '{Feature}' is held by its sizes only; its values are in the partition slices");
        var id = values.Find(value);
        return id != 0 ? id : 1 + _kept + OovBucket(value, _hashSeed, OovBuckets);
    }

    public bool IsOov(int id) => id > _kept;

    /// <summary>The per-feature seed of the out-of-vocabulary hash.</summary>
    public static ulong SeedOf(string feature) => StableHash.Hash(feature);

    /// <summary>The bucket (0..buckets−1) a rare or unseen value falls in: any stage can compute it from the value alone.</summary>
    public static int OovBucket(ReadOnlySpan<char> value, ulong featureSeed, int buckets) => (int)(StableHash.Hash(value, featureSeed) % (ulong)buckets);

    /// <summary>The text of an id 1..N without making a string (the table never changes after it is built).</summary>
    public ReadOnlySpan<char> Text(int id) => (_values ?? throw new InvalidOperationException($"vocabulary '{Feature}' is held by its sizes only"))[id];

    /// <summary>Builds a vocabulary value by value in id order (e.g. from partition slices read one after another).</summary>
    public sealed class Builder(string feature, int oovBuckets)
    {
        private readonly InternTable _table = new();
        private long[] _counts = new long[64];
        private int _kept;
        private long _oov;

        public void Add(ReadOnlySpan<char> value, long count)
        {
            if (value.IsEmpty || _table.IdOf(value) != _kept + 1) throw new InvalidDataException($"vocabulary '{feature}': value '{value}' is empty or listed twice");
            if (_kept == _counts.Length) Array.Resize(ref _counts, _counts.Length * 2);
            _counts[_kept++] = count;
        }

        public void AddOov(long count) => _oov += count;

        public Vocabulary Build() => new(feature, _table, _counts, _kept, oovBuckets, _oov);
    }

    private sealed class ValueView(Vocabulary v) : IReadOnlyList<string>
    {
        public string this[int index] => (uint)index < (uint)v._kept ? v.Text(index + 1).ToString() : throw new ArgumentOutOfRangeException(nameof(index));
        public int Count => v._kept;
        public IEnumerator<string> GetEnumerator()
        {
            for (var i = 0; i < v._kept; i++) yield return this[i];
        }
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private sealed class CountView(Vocabulary v) : IReadOnlyList<long>
    {
        public long this[int index] => throw new InvalidOperationException($"vocabulary '{v.Feature}' is held by its sizes only");
        public int Count => v._kept;
        public IEnumerator<long> GetEnumerator() => throw new InvalidOperationException($"vocabulary '{v.Feature}' is held by its sizes only");
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private sealed record Dto(
        [property: JsonPropertyName("feature")] string Feature,
        [property: JsonPropertyName("oov_buckets")] int OovBuckets,
        [property: JsonPropertyName("oov_count")] long OovCount,
        [property: JsonPropertyName("values")] IReadOnlyList<string> Values,
        [property: JsonPropertyName("counts")] IReadOnlyList<long> Counts);

    public void Write(Stream stream) =>
        JsonSerializer.Serialize(stream, new Dto(Feature, OovBuckets, OovCount, Values, Counts));

    public static Vocabulary Read(Stream stream)
    {
        var dto = JsonSerializer.Deserialize<Dto>(stream) ?? throw new InvalidDataException("empty vocabulary file");
        return new Vocabulary(dto.Feature, dto.Values, dto.Counts, dto.OovBuckets, dto.OovCount);
    }
}
