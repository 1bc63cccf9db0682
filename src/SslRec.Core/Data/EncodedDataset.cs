using SslRec.Core.Schema;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// What the vocabulary reduce produces: vocabularies, the item corpus (encoded item features, keys,
/// training frequencies) and the read report. Its size grows with distinct values (users, items,
/// feature values), never with the number of interactions.
/// </summary>
public sealed class DatasetHeader
{
    public required DatasetSchema Schema { get; init; }
    /// <summary>One vocabulary per feature, in <see cref="DatasetSchema.All"/> order.</summary>
    public required IReadOnlyList<Vocabulary> Vocabularies { get; init; }
    /// <summary>
    /// Where each vocabulary partition's ids start for the partitioned features. In the pipeline's header
    /// those features' vocabularies are held by their sizes only (<see cref="Vocabulary.Sized"/>); their values
    /// are in the partitions' slices, read by whoever needs them (training: warm start, the published query tower).
    /// </summary>
    public required VocabularyPartitions Partitions { get; init; }
    public required EncodedTable Items { get; init; }
    /// <summary>The corpus's item keys, by corpus index (interned: <see cref="InternedList"/> in the reduce and the trainer).</summary>
    public required IReadOnlyList<string> ItemKeys { get; init; }
    /// <summary>How often each corpus item is the positive of a training example.</summary>
    public required long[] ItemTrainCounts { get; init; }
    public required ReadReport Report { get; init; }

    public int CorpusSize => ItemKeys.Count;
}

/// <summary>
/// A dataset ready for training: the <see cref="DatasetHeader"/> plus the train / hold-out examples as
/// parts (one per map shard), which a trainer reads a few at a time. Everything is int32 arrays; no raw
/// text is kept except the item keys, which publication needs.
/// </summary>
public sealed class EncodedDataset
{
    public required DatasetHeader Header { get; init; }
    public required ExampleParts Train { get; init; }
    public required ExampleParts Eval { get; init; }

    public DatasetSchema Schema => Header.Schema;
    public IReadOnlyList<Vocabulary> Vocabularies => Header.Vocabularies;
    public EncodedTable Items => Header.Items;
    public IReadOnlyList<string> ItemKeys => Header.ItemKeys;
    public long[] ItemTrainCounts => Header.ItemTrainCounts;
    public ReadReport Report => Header.Report;

    public IReadOnlyList<Vocabulary> QueryVocabularies => Vocabularies.Take(Schema.Query.Count).ToList();
    public IReadOnlyList<Vocabulary> ItemVocabularies => Vocabularies.Skip(Schema.Query.Count).ToList();
    public int CorpusSize => Header.CorpusSize;
}

/// <summary>What reading a dataset found: row counts and the bad rows that were skipped.</summary>
public sealed record ReadReport
{
    public long RowsRead { get; init; }
    public long TrainRows { get; init; }
    public long EvalRows { get; init; }
    /// <summary>Training rows left out by --data-fraction.</summary>
    public long RowsOutsideFraction { get; init; }
    public long BadRows { get; init; }
    public IReadOnlyList<string> BadRowMessages { get; init; } = [];
    public long CatalogItems { get; init; }
}
