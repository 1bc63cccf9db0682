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
}
