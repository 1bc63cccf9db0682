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
}
