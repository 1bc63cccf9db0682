using SslRec.Core.Schema;

namespace SslRec.Core.Data;

/// <summary>Rows of encoded features (the query features of examples, or the item features of the corpus).</summary>
public sealed class EncodedTable
{
    public IReadOnlyList<FeatureColumn> Columns { get; }
    public int RowCount { get; }

    public EncodedTable(IReadOnlyList<FeatureColumn> columns, int rowCount)
    {
        foreach (var c in columns)
            if (c.RowCount != rowCount) throw new ArgumentException($"column '{c.Spec.Name}' has {c.RowCount} rows, expected {rowCount}");
        Columns = columns;
        RowCount = rowCount;
    }

    public EncodedTable Filter(bool[] keep) => new(Columns.Select(c => c.Filter(keep)).ToList(), keep.Count(k => k));

    public EncodedTable Gather(ReadOnlySpan<int> rows)
    {
        var columns = new FeatureColumn[Columns.Count];
        for (var f = 0; f < columns.Length; f++) columns[f] = Columns[f].Gather(rows);
        return new EncodedTable(columns, rows.Length);
    }

    public static EncodedTable Concat(IReadOnlyList<FeatureSpec> specs, IReadOnlyList<EncodedTable> parts) =>
        new(specs.Select((s, f) => FeatureColumn.Concat(s, parts.Select(p => p.Columns[f]).ToList())).ToList(), parts.Sum(p => p.RowCount));
}

/// <summary>(query, item) positives: the query's encoded features and the index of the item in the corpus.</summary>
public sealed class EncodedExamples
{
    public EncodedTable Queries { get; }
    public int[] ItemIndex { get; }
    public int Count => ItemIndex.Length;

    public EncodedExamples(EncodedTable queries, int[] itemIndex)
    {
        if (queries.RowCount != itemIndex.Length) throw new ArgumentException("queries and item indices differ in length");
        Queries = queries;
        ItemIndex = itemIndex;
    }

    public static EncodedExamples Concat(IReadOnlyList<FeatureSpec> querySpecs, IReadOnlyList<EncodedExamples> parts) =>
        parts.Count == 1 ? parts[0]
            : new(EncodedTable.Concat(querySpecs, parts.Select(p => p.Queries).ToList()), parts.SelectMany(p => p.ItemIndex).ToArray());

    /// <summary>The given rows, in that order, as a new set (a batch that spans two loaded groups).</summary>
    public EncodedExamples Gather(ReadOnlySpan<int> rows)
    {
        var items = new int[rows.Length];
        for (var i = 0; i < rows.Length; i++) items[i] = ItemIndex[rows[i]];
        return new EncodedExamples(Queries.Gather(rows), items);
    }
}
