using System.Text.Json;
using System.Text.Json.Serialization;
using SslRec.Core.Util;

namespace SslRec.Core.Vocab;

/// <summary>
/// Maps a feature's values to embedding ids:
/// 0 = missing or masked; 1..N = values seen at least min_count times in training data (most frequent
/// first); N+1..N+B = hashed out-of-vocabulary buckets shared by rare and unseen values, trained like
/// any other id. Ids are stable: the same data and settings always give the same ids.
/// </summary>
public sealed class Vocabulary : IIdMapper
{
    public const int MissingId = 0;

    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly ulong _hashSeed; // per feature, so two features do not collide in the same way

    public string Feature { get; }
    public IReadOnlyList<string> Values { get; }
    /// <summary>Training count of each in-vocabulary value, aligned with <see cref="Values"/>.</summary>
    public IReadOnlyList<long> Counts { get; }
    public int OovBuckets { get; }
    /// <summary>Training occurrences that fell into the out-of-vocabulary buckets.</summary>
    public long OovCount { get; }

    /// <summary>Number of embedding rows: missing + values + buckets.</summary>
    public int Size => 1 + Values.Count + OovBuckets;

    public Vocabulary(string feature, IReadOnlyList<string> values, IReadOnlyList<long> counts, int oovBuckets, long oovCount = 0)
    {
        if (values.Count != counts.Count) throw new ArgumentException("values and counts differ in length");
        if (oovBuckets < 1) throw new ArgumentOutOfRangeException(nameof(oovBuckets));
        Feature = feature;
        Values = values;
        Counts = counts;
        OovBuckets = oovBuckets;
        OovCount = oovCount;
        _ids = new Dictionary<string, int>(values.Count, StringComparer.Ordinal);
        for (var i = 0; i < values.Count; i++) _ids.Add(values[i], i + 1);
        _lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
        _hashSeed = StableHash.Hash(feature);
    }

    /// <summary>Keeps values with count ≥ minCount, ordered by count (descending) then ordinally.</summary>
    public static Vocabulary Build(string feature, ValueCounter counter, int minCount, int oovBuckets)
    {
        var kept = counter.Entries.Where(e => e.Value >= minCount)
            .OrderByDescending(e => e.Value).ThenBy(e => e.Key, StringComparer.Ordinal).ToList();
        var oov = counter.Entries.Where(e => e.Value < minCount).Sum(e => e.Value);
        return new Vocabulary(feature, kept.Select(e => e.Key).ToList(), kept.Select(e => e.Value).ToList(), oovBuckets, oov);
    }

    public int IdOf(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty) return MissingId;
        if (_lookup.TryGetValue(value, out var id)) return id;
        return 1 + Values.Count + (int)(StableHash.Hash(value, _hashSeed) % (ulong)OovBuckets);
    }

    public bool IsOov(int id) => id > Values.Count;


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
