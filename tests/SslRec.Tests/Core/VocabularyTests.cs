using SslRec.Core.Vocab;

namespace SslRec.Tests.Core;

public class VocabularyTests
{
    [Fact]
    public void Intern_table_numbers_values_by_first_appearance_through_growth()
    {
        // Enough values to grow the arena and the slot table many times; ids must stay stable.
        var table = new InternTable();
        var values = Enumerable.Range(0, 50_000).Select(i => (i % 3 == 0 ? "u" : "item-with-a-longer-name-") + i).ToArray();
        for (var i = 0; i < values.Length; i++) Assert.Equal(i + 1, table.IdOf(values[i]));
        for (var i = values.Length - 1; i >= 0; i--) Assert.Equal(i + 1, table.IdOf(values[i]));
        Assert.Equal(values.Length + 1, table.Count);
        Assert.Equal("item-with-a-longer-name-49999", table[50_000].ToString());
        Assert.Equal(values.Length + 1, table.IdOf("a-new-one"));
        // values that differ only past the first 8 bytes, or only in length
        Assert.NotEqual(table.IdOf("abcd1234x"), table.IdOf("abcd1234y"));
        Assert.NotEqual(table.IdOf("ab"), table.IdOf("ab\0"));
    }

    [Fact]
    public void Local_dictionary_counts_and_reads_back_its_values()
    {
        var d = new LocalDictionary();
        Assert.Equal(0, d.IdOf(""));
        var a = d.IdOf("a");
        var b = d.IdOf("b");
        d.AddCount(a, 3);
        d.AddCount(b);
        d.AddCount(0, 5); // missing is never counted
        Assert.Equal(["", "a", "b"], d.Values);
        Assert.Equal([0L, 3, 1], d.Counts);
        var copy = new LocalDictionary(d.Values, d.Counts);
        Assert.Equal(2, copy.IdOf("b"));
        Assert.Equal([0L, 3, 1], copy.Counts);
    }

    [Fact]
    public void Keeps_frequent_values_most_frequent_first_and_hashes_the_rest()
    {
        var counter = new ValueCounter();
        counter.AddValues("a|b|b|c|c|c", '|');
        counter.Add("d");
        var v = Vocabulary.Build("f", counter, minCount: 2, oovBuckets: 4);
        Assert.Equal(["c", "b"], v.Values);
        Assert.Equal([3L, 2L], v.Counts);
        Assert.Equal(2L, v.OovCount); // a and d
        Assert.Equal(1 + 2 + 4, v.Size);
        Assert.Equal(Vocabulary.MissingId, v.IdOf(""));
        Assert.Equal(1, v.IdOf("c"));
        Assert.Equal(2, v.IdOf("b"));
        var oov = v.IdOf("never-seen");
        Assert.InRange(oov, 3, 6);
        Assert.Equal(oov, v.IdOf("never-seen")); // stable
    }

    [Fact]
    public void Serialises_and_reads_back_with_identical_ids()
    {
        var counter = new ValueCounter();
        foreach (var x in new[] { "x", "y", "y", "z", "z", "z" }) counter.Add(x);
        var v = Vocabulary.Build("feat", counter, 1, 8);
        using var ms = new MemoryStream();
        v.Write(ms);
        ms.Position = 0;
        var back = Vocabulary.Read(ms);
        foreach (var s in new[] { "x", "y", "z", "unseen", "" }) Assert.Equal(v.IdOf(s), back.IdOf(s));
    }

    [Fact]
    public void Counters_merge()
    {
        var a = new ValueCounter();
        var b = new ValueCounter();
        a.Add("x", 2);
        b.Add("x", 3);
        b.Add("y");
        a.Merge(b);
        Assert.Equal(5, a["x"]);
        Assert.Equal(1, a["y"]);
    }
}
