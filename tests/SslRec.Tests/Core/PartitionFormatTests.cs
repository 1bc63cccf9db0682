using SslRec.Core.Data;
using SslRec.Core.Schema;
using SslRec.Core.Vocab;

namespace SslRec.Tests.Core;

/// <summary>The byte-range files of the partitioned reduce read back what the in-memory path uses.</summary>
public class PartitionFormatTests
{
    private static LocalDictionary Values(int n, int seed)
    {
        var d = new LocalDictionary();
        for (var i = 0; i < n; i++) d.AddCount(d.IdOf($"v{(i * 7 + seed) % (n * 2)}-é"), 1 + i % 5);
        return d;
    }

    [Fact]
    public void A_partitions_byte_range_of_a_shards_keys_holds_its_in_memory_entries()
    {
        var dictionaries = new[] { HashedDictionary.Build(Values(3000, 1)).Dictionary, HashedDictionary.Build(Values(40, 2)).Dictionary };
        using var file = new MemoryStream();
        PartitionFormat.WriteKeys(file, dictionaries);
        var bytes = file.ToArray();
        foreach (var p in new[] { 1, 3, 64 })
            for (var k = 0; k < p; k++)
            {
                var ranges = PartitionFormat.KeyRanges(bytes.AsSpan(0, PartitionFormat.KeysIndexBytes(2)), 2, k, p);
                for (var f = 0; f < 2; f++)
                {
                    var parsed = PartitionFormat.ParseEntries(bytes.AsSpan((int)ranges[f].Start, (int)(ranges[f].End - ranges[f].Start)));
                    var (start, end) = dictionaries[f].Range(k, p);
                    Assert.Equal(dictionaries[f].Hashes[start..end], parsed.Hashes);
                    Assert.Equal(dictionaries[f].LocalIds[start..end], parsed.LocalIds);
                    Assert.Equal(dictionaries[f].Counts[start..end], parsed.Counts);
                    for (var i = 0; i < parsed.Count; i++) Assert.True(dictionaries[f].Utf8(start + i).SequenceEqual(parsed.Utf8(i)));
                    Assert.All(parsed.Hashes, h => Assert.Equal(k, VocabularyPartitioning.PartitionOf(h, p)));
                }
            }
        Assert.Equal(3000, dictionaries[0].Count);
        Assert.Equal(dictionaries[0].Hashes.Order(), dictionaries[0].Hashes);
    }

    [Fact]
    public void A_remap_reads_its_own_shards_maps_and_a_slice_streams_into_a_vocabulary()
    {
        var spec = new FeatureSpec { Name = "user", Type = FeatureType.Categorical, Side = FeatureSide.Query, MinCount = 2 };
        var merger = new VocabularyPartitionMerger([spec, spec with { Name = "other" }], 3);
        for (var s = 0; s < 3; s++)
            for (var f = 0; f < 2; f++)
            {
                var d = HashedDictionary.Build(Values(500 + 100 * s, s + f)).Dictionary;
                merger.Add(s, f, d, 0, d.Count);
            }
        var result = merger.Finish();

        using var maps = new MemoryStream();
        PartitionFormat.WriteMaps(maps, result.Maps, 2);
        var bytes = maps.ToArray();
        for (var s = 0; s < 3; s++)
        {
            var (start, end) = PartitionFormat.MapRange(bytes.AsSpan(0, PartitionFormat.MapsIndexBytes(3, 2)), 3, 2, s);
            var parsed = PartitionFormat.ParseMaps(bytes.AsSpan((int)start, (int)(end - start)), 2);
            for (var f = 0; f < 2; f++)
            {
                Assert.Equal(result.Maps[s][f].LocalIds, parsed[f].LocalIds);
                Assert.Equal(result.Maps[s][f].Targets, parsed[f].Targets);
            }
        }

        using var slice = new MemoryStream();
        PartitionFormat.WriteSlice(slice, result.Slices);
        slice.Position = 0;
        var builders = new[] { new Vocabulary.Builder("user", 16), new Vocabulary.Builder("other", 16) };
        PartitionFormat.ReadSlice(slice, builders);
        for (var f = 0; f < 2; f++)
        {
            var v = builders[f].Build();
            var s = result.Slices[f];
            Assert.Equal(s.Kept, v.Kept);
            Assert.Equal(s.OovCount, v.OovCount);
            for (var i = 0; i < s.Kept; i++)
            {
                Assert.Equal(s.Text(i).ToString(), v.Values[i]);
                Assert.Equal(s.Count(i), v.Counts[i]);
                Assert.Equal(i + 1, v.IdOf(s.Text(i)));
            }
        }
    }
}
