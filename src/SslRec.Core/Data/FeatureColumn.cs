using SslRec.Core.Schema;
using SslRec.Core.Util;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// One encoded feature over the rows of a table: a categorical feature stores one int32 id per row; a
/// multi-valued one stores a bag per row as offsets (rows + 1) into a flat value array. An empty bag
/// or id 0 means missing.
/// </summary>
public sealed class FeatureColumn
{
    public FeatureSpec Spec { get; }
    /// <summary>Categorical ids, one per row (null for multi-valued features).</summary>
    public int[]? Ids { get; }
    /// <summary>Bag boundaries, rows + 1 entries (null for categorical features).</summary>
    public int[]? Offsets { get; }
    /// <summary>Flat bag values (null for categorical features).</summary>
    public int[]? Values { get; }

    public int RowCount => Ids?.Length ?? Offsets!.Length - 1;

    public FeatureColumn(FeatureSpec spec, int[] ids)
    {
        if (spec.IsMulti) throw new ArgumentException($"feature '{spec.Name}' is multi-valued");
        Spec = spec;
        Ids = ids;
    }

    public FeatureColumn(FeatureSpec spec, int[] offsets, int[] values)
    {
        if (!spec.IsMulti) throw new ArgumentException($"feature '{spec.Name}' is categorical");
        if (offsets.Length == 0 || offsets[0] != 0 || offsets[^1] != values.Length)
            throw new ArgumentException($"feature '{spec.Name}': offsets do not describe the value array");
        Spec = spec;
        Offsets = offsets;
        Values = values;
    }

    /// <summary>The ids of one row: a single id for categorical features, the bag for multi-valued ones.</summary>
    public ReadOnlySpan<int> Bag(int row) =>
        Ids is not null ? Ids.AsSpan(row, 1) : Values.AsSpan(Offsets![row], Offsets[row + 1] - Offsets[row]);
}

/// <summary>Builds a <see cref="FeatureColumn"/> row by row from raw text.</summary>
public sealed class FeatureColumnBuilder
{
    private readonly FeatureSpec _spec;
    private readonly Vocabulary _vocabulary;
    private readonly IntList _idsOrValues;
    private readonly IntList? _offsets;

    public FeatureColumnBuilder(FeatureSpec spec, Vocabulary vocabulary, int expectedRows)
    {
        _spec = spec;
        _vocabulary = vocabulary;
        _idsOrValues = new IntList(spec.IsMulti ? expectedRows * 2 : expectedRows);
        if (spec.IsMulti)
        {
            _offsets = new IntList(expectedRows + 1);
            _offsets.Add(0);
        }
    }

    public void Add(ReadOnlySpan<char> text)
    {
        if (_offsets is null)
        {
            _idsOrValues.Add(_vocabulary.IdOf(text));
            return;
        }
        foreach (var range in text.Split(_spec.Separator))
        {
            var v = text[range].Trim();
            if (!v.IsEmpty) _idsOrValues.Add(_vocabulary.IdOf(v));
        }
        _offsets.Add(_idsOrValues.Count);
    }

    public FeatureColumn Build() => _offsets is null
        ? new FeatureColumn(_spec, _idsOrValues.ToArray())
        : new FeatureColumn(_spec, _offsets.ToArray(), _idsOrValues.ToArray());
}
