using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Core.Util;

namespace SslRec.Core.Data;

/// <summary>
/// What the seeded hold-out split (and --data-fraction) hashes: an interaction's declared values in one
/// canonical form, so CSV, TSV, JSON Lines and Parquet copies of the same rows split alike. Hashing a row's
/// text did not: quoting, column order, ignored columns (a timestamp), the delimiter and Parquet's lack of
/// any text each gave another hold-out, and a user comparing formats saw a different Recall.
/// The form: the query features, then the item key, in schema order, each as the values SslRec reads
/// (a categorical value's text — an integer column's digits; a multi-valued feature's values, trimmed,
/// empty ones dropped, in order, whether they come as a list or a joined string), each value preceded by
/// its length + 1 (two UTF-16 units) and a multi-valued feature closed by a zero length, so two different
/// rows never give the same input. The item's other features are left out: with a catalog they are not
/// read from interaction files, so an export with or without them splits alike.
/// </summary>
public sealed class SplitKey
{
    private readonly int[] _slots;
    private readonly char?[] _separators;

    public SplitKey(DatasetSchema schema)
    {
        var q = schema.Query.Count;
        _slots = [.. Enumerable.Range(0, q), q + schema.ItemKeyIndex];
        _separators = _slots.Select(s => schema.All[s].IsMulti ? schema.All[s].Separator : (char?)null).ToArray();
    }

    /// <summary>The row's hash with this seed (the reader's columns are <see cref="ShardEncoder.InteractionColumns"/>).</summary>
    public ulong Hash(IRowReader row, ulong seed)
    {
        var h = StableHash.Start(seed);
        for (var i = 0; i < _slots.Length; i++)
        {
            var text = row.Get(_slots[i]);
            if (_separators[i] is not { } separator)
            {
                h = Value(h, text);
                continue;
            }
            foreach (var range in text.Split(separator))
            {
                var v = text[range].Trim();
                if (!v.IsEmpty) h = Value(h, v);
            }
            h = Length(h, -1); // end of the bag
        }
        return StableHash.Finish(h);
    }

    private static ulong Value(ulong h, ReadOnlySpan<char> value) => StableHash.Add(Length(h, value.Length), value);

    private static ulong Length(ulong h, int length)
    {
        var n = (uint)(length + 1);
        return StableHash.Add(StableHash.Add(h, (char)(n & 0xFFFF)), (char)(n >> 16));
    }
}
