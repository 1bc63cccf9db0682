namespace SslRec.Core.Vocab;

/// <summary>
/// Values 1..n of an <see cref="InternTable"/> as a list of strings (index 0 is id 1): each access makes a
/// string, none is kept, so millions of values (a vocabulary, the corpus's item keys) cost their characters
/// in one arena rather than a string object each.
/// </summary>
public sealed class InternedList(InternTable table, int count) : IReadOnlyList<string>
{
    public string this[int index] => (uint)index < (uint)count ? table[index + 1].ToString() : throw new ArgumentOutOfRangeException(nameof(index));

    public int Count => count;

    /// <summary>The text of index i without making a string.</summary>
    public ReadOnlySpan<char> Text(int index) => table[index + 1];

    public IEnumerator<string> GetEnumerator()
    {
        for (var i = 0; i < count; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
