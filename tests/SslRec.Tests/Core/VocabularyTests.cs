using SslRec.Core.Vocab;

namespace SslRec.Tests.Core;

public class VocabularyTests
{
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
