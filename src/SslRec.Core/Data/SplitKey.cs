using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Core.Util;

namespace SslRec.Core.Data;

/// <summary>
/// What the seeded hold-out split (and --data-fraction) hashes: an interaction's declared values in one
/// canonical form, so CSV, TSV, JSON Lines and Parquet copies of the same rows split alike. Hashing a row's
/// text did not: quoting, column order, ignored columns (a timestamp), the delimiter and Parquet's lack of
/// any text each gave another hold-out, and a user comparing formats saw a different Recall.
/// The form: the query features, then the item key, in schema order, each as the values SslRec reads —
/// a categorical value's text (an integer column's digits), a multi-valued feature's values trimmed, empty
/// ones dropped, joined by its separator (the same for a list column, a JSON array and a joined string) —
/// each field followed by its length + 1 as two UTF-16 units. A field's values cannot hold the separator
/// and the fields are fixed by the schema, so reading the lengths from the end recovers every value: two
/// different rows never give the same input. The item's other features are left out: with a catalog they
/// are not read from interaction files, so an export with or without them splits alike.
/// One pass over each field's characters, no allocation: it runs once per row (twice with a data fraction).
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
            int length;
            if (_separators[i] is not { } separator)
            {
                h = StableHash.Add(h, text);
                length = text.Length;
            }
            else (h, length) = AddBag(h, text, separator);
            var n = (uint)length + 1;
            h = StableHash.Add(StableHash.Add(h, (char)(n & 0xFFFF)), (char)(n >> 16));
        }
        return StableHash.Finish(h);
    }

    /// <summary>Hashes a bag's values as FeatureColumnBuilder reads them (trimmed, no empty ones) joined by the separator; returns the joined length.</summary>
    private static (ulong, int) AddBag(ulong h, ReadOnlySpan<char> text, char separator)
    {
        var length = 0;
        while (true)
        {
            var end = text.IndexOf(separator);
            var value = (end < 0 ? text : text[..end]).Trim();
            if (!value.IsEmpty)
            {
                if (length > 0)
                {
                    h = StableHash.Add(h, separator);
                    length++;
                }
                h = StableHash.Add(h, value);
                length += value.Length;
            }
            if (end < 0) return (h, length);
            text = text[(end + 1)..];
        }
    }
}
