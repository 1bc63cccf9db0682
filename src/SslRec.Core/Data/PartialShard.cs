using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

public enum ShardKind { Interactions, Catalog }

/// <summary>
/// What the map step makes of one input file (or byte range): rows validated, split into train and
/// hold-out, and encoded with shard-local ids (<see cref="LocalDictionary"/> per feature, counting
/// training occurrences). The reduce step (<see cref="ShardMerger"/>) turns a set of these into an
/// <see cref="EncodedDataset"/> with global vocabularies.
/// </summary>
public sealed class PartialShard
{
    public required ShardKind Kind { get; init; }
    /// <summary>File (and byte range) the rows came from, for messages.</summary>
    public required string Source { get; init; }
    /// <summary>One per feature in schema order (query features first; empty in catalog shards).</summary>
    public required LocalDictionary[] Dictionaries { get; init; }

    /// <summary>Query features of training rows (local ids), and each row's item key (local id).</summary>
    public required EncodedTable TrainQueries { get; init; }
    public required int[] TrainKeys { get; init; }
    public required EncodedTable EvalQueries { get; init; }
    public required int[] EvalKeys { get; init; }

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
}
