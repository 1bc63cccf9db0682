using SslRec.Core.Schema;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// A dataset ready for training: vocabularies, the item corpus (encoded item features, keys, training
/// frequencies) and the train / hold-out examples. Everything is int32 arrays; no raw text is kept
/// except the item keys, which publication needs.
/// </summary>
public sealed class EncodedDataset
{
    public required DatasetSchema Schema { get; init; }
    /// <summary>One vocabulary per feature, in <see cref="DatasetSchema.All"/> order.</summary>
    public required IReadOnlyList<Vocabulary> Vocabularies { get; init; }
    public required EncodedTable Items { get; init; }
    public required string[] ItemKeys { get; init; }
    /// <summary>How often each corpus item is the positive of a training example.</summary>
    public required long[] ItemTrainCounts { get; init; }
    public required EncodedExamples Train { get; init; }
    public required EncodedExamples Eval { get; init; }
    public required ReadReport Report { get; init; }

    public IReadOnlyList<Vocabulary> QueryVocabularies => Vocabularies.Take(Schema.Query.Count).ToList();
    public IReadOnlyList<Vocabulary> ItemVocabularies => Vocabularies.Skip(Schema.Query.Count).ToList();
    public int CorpusSize => ItemKeys.Length;
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
