using System.Text;

namespace SslRec.Core.Vocab;

/// <summary>
/// One shard's values of one partitioned feature, ordered by their partition hash
/// (<see cref="VocabularyPartitioning.Hash"/>, ties by ordinal text): each with its shard-local id, its
/// training count and its text (UTF-8, in one arena). <see cref="PrefixStart"/> gives the first entry of
/// each hash prefix, so the entries of partition k of any P are one contiguous range — in memory here, and
/// one byte range of the shard's keys blob (<see cref="Data.PartitionFormat"/>). The map stage builds it
/// from the shard's <see cref="LocalDictionary"/>, together with a distinct-count sketch.
/// </summary>
public sealed class HashedDictionary
{
    public required ulong[] Hashes { get; init; }
    public required int[] LocalIds { get; init; }
    public required long[] Counts { get; init; }
    /// <summary>UTF-8 text of entry i: Text[TextStart[i] .. TextStart[i + 1]).</summary>
    public required byte[] Text { get; init; }
    public required int[] TextStart { get; init; }
    /// <summary>Entry index where each prefix starts (length MaxPartitions + 1); null for a parsed range.</summary>
    public int[]? PrefixStart { get; init; }

    public int Count => Hashes.Length;

    public ReadOnlySpan<byte> Utf8(int entry) => Text.AsSpan(TextStart[entry], TextStart[entry + 1] - TextStart[entry]);

    /// <summary>The entries [start, end) of partition k of P.</summary>
    public (int Start, int End) Range(int partition, int partitions)
    {
        var (first, end) = VocabularyPartitioning.Prefixes(partition, partitions);
        var starts = PrefixStart ?? throw new InvalidOperationException("a parsed range has no prefix index");
        return (starts[first], starts[end]);
    }

    /// <summary>Orders a shard dictionary's values by hash and sketches their number.</summary>
    public static (HashedDictionary Dictionary, HyperLogLog Sketch) Build(LocalDictionary local)
    {
        var n = local.Count - 1;
        var hashes = new ulong[n];
        var order = new int[n];
        var sketch = new HyperLogLog();
        for (var i = 0; i < n; i++)
        {
            hashes[i] = VocabularyPartitioning.Hash(local.Text(i + 1));
            order[i] = i + 1;
            sketch.Add(hashes[i]);
        }
        Array.Sort(hashes, order);
        // equal hashes (two values colliding in 64 bits) are put in ordinal order, so the file does not depend on first appearance
        for (var i = 1; i < n; i++)
            if (hashes[i] == hashes[i - 1])
            {
                var j = i;
                while (j + 1 < n && hashes[j + 1] == hashes[i]) j++;
                Array.Sort(order, i - 1, j - i + 2, Comparer<int>.Create((a, b) => local.Text(a).SequenceCompareTo(local.Text(b))));
                i = j;
            }

        var counts = new long[n];
        var textStart = new int[n + 1];
        var bytes = 0;
        for (var i = 0; i < n; i++)
        {
            counts[i] = local.Counts[order[i]];
            bytes += Encoding.UTF8.GetByteCount(local.Text(order[i]));
            textStart[i + 1] = bytes;
        }
        var text = new byte[bytes];
        for (var i = 0; i < n; i++) Encoding.UTF8.GetBytes(local.Text(order[i]), text.AsSpan(textStart[i]));

        var prefixStart = new int[VocabularyPartitioning.MaxPartitions + 1];
        var at = 0;
        for (var p = 0; p < VocabularyPartitioning.MaxPartitions; p++)
        {
            prefixStart[p] = at;
            while (at < n && VocabularyPartitioning.Prefix(hashes[at]) == p) at++;
        }
        prefixStart[^1] = n;
        return (new HashedDictionary { Hashes = hashes, LocalIds = order, Counts = counts, Text = text, TextStart = textStart, PrefixStart = prefixStart }, sketch);
    }
}
