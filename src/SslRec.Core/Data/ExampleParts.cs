namespace SslRec.Core.Data;

/// <summary>
/// Examples stored as parts whose sizes are known up front and whose contents are loaded on demand:
/// in memory (local reads), or blobs the trainer downloads a few at a time. A consumer holds only the
/// parts it is working on, so its memory does not grow with the dataset.
/// </summary>
public sealed class ExampleParts
{
    private readonly Func<int, EncodedExamples> _load;

    /// <summary>Rows of each part.</summary>
    public IReadOnlyList<int> Counts { get; }
    public long Count { get; }
    public int PartCount => Counts.Count;

    public ExampleParts(IReadOnlyList<int> counts, Func<int, EncodedExamples> load)
    {
        Counts = counts;
        Count = counts.Sum(c => (long)c);
        _load = load;
    }

    public static ExampleParts InMemory(IReadOnlyList<EncodedExamples> parts) => new(parts.Select(p => p.Count).ToList(), i => parts[i]);

    /// <summary>One part; checks it has the promised number of rows.</summary>
    public EncodedExamples Load(int part)
    {
        var examples = _load(part);
        if (examples.Count != Counts[part])
            throw new InvalidDataException($"example part {part} has {examples.Count} rows, its listing says {Counts[part]}");
        return examples;
    }

    /// <summary>Every part in one table, in order. Holds the whole set in memory: for small data and tests.</summary>
    public EncodedExamples Materialize()
    {
        if (PartCount == 0) throw new InvalidOperationException("no example parts");
        var parts = Enumerable.Range(0, PartCount).Select(Load).ToList();
        return EncodedExamples.Concat(parts[0].Queries.Columns.Select(c => c.Spec).ToList(), parts);
    }
}
