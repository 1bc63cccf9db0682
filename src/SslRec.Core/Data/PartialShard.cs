using SslRec.Core.Schema;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

public enum ShardKind { Interactions, Catalog }

/// <summary>
/// What the map step makes of one input file (or byte range): rows validated, split into train and
/// hold-out, and encoded with shard-local ids. It is stored as two blobs so that the vocabulary reduce
/// can read what grows with distinct values (<see cref="ShardVocabulary"/>) without what grows with rows
/// (<see cref="ShardRows"/>, read later by that shard's remap).
/// </summary>
public sealed class PartialShard
{
    public required ShardVocabulary Vocabulary { get; init; }
    public required ShardRows Rows { get; init; }
}

/// <summary>
/// A shard's dictionaries, counts and item rows: everything the vocabulary reduce needs. Its size grows
/// with the shard's distinct values, never with its rows.
/// </summary>
public sealed class ShardVocabulary
{
    public required ShardKind Kind { get; init; }
    /// <summary>File (and byte range) the rows came from, for messages.</summary>
    public required string Source { get; init; }
    /// <summary>One per feature in schema order (query features first; empty in catalog shards), counting training occurrences.</summary>
    public required LocalDictionary[] Dictionaries { get; init; }
    /// <summary>Held-out rows naming each local item key id (training rows are the key dictionary's counts).</summary>
    public required int[] EvalRowsOfKey { get; init; }

    /// <summary>
    /// Item rows (item features in schema order, local ids): every row of a catalog shard, or the first
    /// row of each item in an interaction shard (used when there is no catalog).
    /// </summary>
    public required EncodedTable Items { get; init; }
    /// <summary>The row number of each item row, and of the first row naming each local key id (for errors).</summary>
    public required long[] ItemRows { get; init; }
    public required long[] FirstRowOfKey { get; init; }

    public long RowsRead { get; init; }
    public long RowsOutsideFraction { get; init; }
    public long BadRows { get; init; }
    public IReadOnlyList<string> BadRowMessages { get; init; } = [];

    /// <summary>
    /// What the header step reads of this shard (<see cref="VocabularyMerger"/>): its totals, bad rows and the
    /// dictionaries of query features tied to an item feature other than the key. The hashed features and the
    /// item rows travel in the shard's keys and item entries, read by the partitions.
    /// </summary>
    public ShardVocabulary HeaderStepPart(DatasetSchema schema)
    {
        var keySlot = VocabularyPartitioning.KeySlot(schema);
        bool Kept(int f) => f < schema.Query.Count && schema.TableOwner(f) is var o && o != f && o != keySlot;
        return new ShardVocabulary
        {
            Kind = Kind, Source = Source,
            Dictionaries = Dictionaries.Select((d, f) => Kept(f) ? d : new LocalDictionary()).ToArray(),
            EvalRowsOfKey = [],
            Items = new EncodedTable(schema.Item.Select(spec => spec.IsMulti ? new FeatureColumn(spec, [0], []) : new FeatureColumn(spec, [])).ToList(), 0),
            ItemRows = [], FirstRowOfKey = [],
            RowsRead = RowsRead, RowsOutsideFraction = RowsOutsideFraction, BadRows = BadRows, BadRowMessages = BadRowMessages,
        };
    }
}

/// <summary>A shard's examples in local ids: query features of training and held-out rows, and each row's item key.</summary>
public sealed class ShardRows
{
    public required EncodedTable TrainQueries { get; init; }
    public required int[] TrainKeys { get; init; }
    public required EncodedTable EvalQueries { get; init; }
    public required int[] EvalKeys { get; init; }
}
