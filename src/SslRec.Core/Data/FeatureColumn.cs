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

    /// <summary>
    /// Replaces every id by map[id] in this column's own arrays (no copy): for the merge, which owns the
    /// shards it remaps and holding a remapped copy beside each shard would double its peak memory.
    /// </summary>
    public FeatureColumn RemapInPlace(int[] map)
    {
        var ids = Ids ?? Values!;
        for (var i = 0; i < ids.Length; i++) ids[i] = map[ids[i]];
        return this;
    }

    /// <summary>The rows of several columns of the same feature, one after another (arrays sized once).</summary>
    public static FeatureColumn Concat(FeatureSpec spec, IReadOnlyList<FeatureColumn> parts)
    {
        if (parts.Count == 1) return parts[0];
        if (!spec.IsMulti) return new FeatureColumn(spec, Join(parts.Select(p => p.Ids!).ToList()));
        var offsets = new int[parts.Sum(p => p.RowCount) + 1];
        int row = 0, shift = 0;
        foreach (var p in parts)
        {
            for (var r = 1; r < p.Offsets!.Length; r++) offsets[++row] = p.Offsets[r] + shift;
            shift += p.Values!.Length;
        }
        return new FeatureColumn(spec, offsets, Join(parts.Select(p => p.Values!).ToList()));
    }

    private static int[] Join(IReadOnlyList<int[]> arrays)
    {
        var result = new int[arrays.Sum(a => (long)a.Length)];
        var at = 0;
        foreach (var a in arrays)
        {
            a.CopyTo(result, at);
            at += a.Length;
        }
        return result;
    }

    /// <summary>The rows whose keep flag is set, in order.</summary>
    public FeatureColumn Filter(bool[] keep)
    {
        if (Ids is not null) return new FeatureColumn(Spec, Ids.Where((_, r) => keep[r]).ToArray());
        var offsets = new IntList(RowCount + 1);
        var values = new IntList(Values!.Length);
        offsets.Add(0);
        for (var r = 0; r < RowCount; r++)
        {
            if (!keep[r]) continue;
            foreach (var v in Bag(r)) values.Add(v);
            offsets.Add(values.Count);
        }
        return new FeatureColumn(Spec, offsets.ToArray(), values.ToArray());
    }

    /// <summary>The given rows, in that order.</summary>
    public FeatureColumn Gather(ReadOnlySpan<int> rows)
    {
        if (Ids is not null)
        {
            var ids = new int[rows.Length];
            for (var i = 0; i < rows.Length; i++) ids[i] = Ids[rows[i]];
            return new FeatureColumn(Spec, ids);
        }
        var offsets = new int[rows.Length + 1];
        for (var i = 0; i < rows.Length; i++) offsets[i + 1] = offsets[i] + Offsets![rows[i] + 1] - Offsets[rows[i]];
        var values = new int[offsets[^1]];
        for (var i = 0; i < rows.Length; i++) Bag(rows[i]).CopyTo(values.AsSpan(offsets[i]));
        return new FeatureColumn(Spec, offsets, values);
    }

    /// <summary>The ids of one row: a single id for categorical features, the bag for multi-valued ones.</summary>
    public ReadOnlySpan<int> Bag(int row) =>
        Ids is not null ? Ids.AsSpan(row, 1) : Values.AsSpan(Offsets![row], Offsets[row + 1] - Offsets[row]);
}

/// <summary>Builds a <see cref="FeatureColumn"/> row by row from raw text.</summary>
public sealed class FeatureColumnBuilder
{
    private readonly FeatureSpec _spec;
    private readonly IIdMapper _ids;
    private readonly LocalDictionary? _counting;
    private readonly IntList _idsOrValues;
    private readonly IntList? _offsets;

    /// <param name="ids">maps value text to ids</param>
        public FeatureColumnBuilder(FeatureSpec spec, IIdMapper ids, int expectedRows = 16)
    {
        _spec = spec;
        _ids = ids;
        _counting = ids as LocalDictionary;
        _idsOrValues = new IntList(spec.IsMulti ? expectedRows * 2 : expectedRows);
        if (spec.IsMulti)
        {
            _offsets = new IntList(expectedRows + 1);
            _offsets.Add(0);
        }
    }

    /// <summary>Appends one row; with count set, its values are also counted in the local dictionary.</summary>
    public void Add(ReadOnlySpan<char> text, bool count = false)
    {
        if (_offsets is null)
        {
            var id = _ids.IdOf(text);
            _idsOrValues.Add(id);
            if (count) _counting?.AddCount(id);
            return;
        }
        foreach (var range in text.Split(_spec.Separator))
        {
            var v = text[range].Trim();
            if (v.IsEmpty) continue;
            var id = _ids.IdOf(v);
            _idsOrValues.Add(id);
            if (count) _counting?.AddCount(id);
        }
        _offsets.Add(_idsOrValues.Count);
    }

    public FeatureColumn Build() => _offsets is null
        ? new FeatureColumn(_spec, _idsOrValues.ToArray())
        : new FeatureColumn(_spec, _offsets.ToArray(), _idsOrValues.ToArray());
}
