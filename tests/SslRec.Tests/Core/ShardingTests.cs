using SslRec.Core.Data;
using SslRec.Core.Reading;
using SslRec.Core.Synthetic;

namespace SslRec.Tests.Core;

public class ShardingTests
{
    private static void AssertSameDataset(EncodedDataset a, EncodedDataset b)
    {
        Assert.Equal(a.ItemKeys, b.ItemKeys);
        Assert.Equal(a.ItemTrainCounts, b.ItemTrainCounts);
        Assert.Equal(a.Train.Materialize().ItemIndex, b.Train.Materialize().ItemIndex);
        Assert.Equal(a.Eval.Materialize().ItemIndex, b.Eval.Materialize().ItemIndex);
        for (var i = 0; i < a.Vocabularies.Count; i++)
        {
            Assert.Equal(a.Vocabularies[i].Values, b.Vocabularies[i].Values);
            Assert.Equal(a.Vocabularies[i].Counts, b.Vocabularies[i].Counts);
        }
        foreach (var (x, y) in new[] { (a.Train.Materialize().Queries, b.Train.Materialize().Queries), (a.Eval.Materialize().Queries, b.Eval.Materialize().Queries), (a.Items, b.Items) })
            for (var f = 0; f < x.Columns.Count; f++)
            {
                Assert.Equal(x.Columns[f].Ids, y.Columns[f].Ids);
                Assert.Equal(x.Columns[f].Offsets, y.Columns[f].Offsets);
                Assert.Equal(x.Columns[f].Values, y.Columns[f].Values);
            }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Splitting_the_input_into_files_does_not_change_the_encoded_dataset(bool withCatalog)
    {
        using var whole = new TempDirectory();
        SyntheticGenerator.Generate(whole.Path, new SyntheticOptions { Interactions = 3000, Items = 120, Seed = 2 });
        if (!withCatalog) ShardedTestData.MoveItemFeaturesIntoInteractions(whole.Path);
        var reference = DatasetEncoder.Read(whole.Path);

        using var parts = new TempDirectory();
        foreach (var f in Directory.GetFiles(whole.Path).Where(f => !f.EndsWith("interactions.csv")))
            File.Copy(f, Path.Combine(parts.Path, Path.GetFileName(f)));
        var all = File.ReadAllLines(Path.Combine(whole.Path, "interactions.csv"));
        var rows = all.Skip(1).ToArray();
        var third = rows.Length / 3;
        File.WriteAllLines(Path.Combine(parts.Path, "part-0.csv"), [all[0], .. rows[..third]]);
        File.WriteAllLines(Path.Combine(parts.Path, "part-1.csv"), [all[0], .. rows[third..(2 * third)]]);
        File.WriteAllLines(Path.Combine(parts.Path, "part-2.csv"), [all[0], .. rows[(2 * third)..]]);

        AssertSameDataset(reference, DatasetEncoder.Read(parts.Path));
    }

    [Fact]
    public void Encoding_byte_ranges_in_parallel_gives_the_same_dataset_as_one_pass()
    {
        using var dir = new TempDirectory();
        SyntheticGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 3000, Items = 120, Seed = 5 });
        var onePass = DatasetEncoder.Read(dir.Path, new DatasetReadOptions { ShardTargetBytes = 0, Threads = 1 });
        var bytes = new FileInfo(Path.Combine(dir.Path, "interactions.csv")).Length;
        // ~7 ranges whose boundaries fall mid-line, encoded 3 at a time
        var ranged = DatasetEncoder.Read(dir.Path, new DatasetReadOptions { ShardTargetBytes = bytes / 7 + 13, Threads = 3 });
        Assert.Equal(3000, ranged.Report.RowsRead);
        AssertSameDataset(onePass, ranged);
    }

    [Fact]
    public void A_gzip_file_encoded_in_parallel_blocks_gives_the_same_dataset_and_names_the_block_of_a_bad_row()
    {
        using var dir = new TempDirectory();
        SyntheticGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 3000, Items = 120, Seed = 6 });
        var csv = Path.Combine(dir.Path, "interactions.csv");
        var onePass = DatasetEncoder.Read(dir.Path, new DatasetReadOptions { ShardTargetBytes = 0, Threads = 1 });
        using (var gz = new System.IO.Compression.GZipStream(File.Create(csv + ".gz"), System.IO.Compression.CompressionLevel.Fastest))
            File.OpenRead(csv).CopyTo(gz);
        File.Move(csv, Path.Combine(dir.Path, "interactions.csv.bak"));
        var schema = SslRec.Core.Schema.DatasetSchema.Load(Path.Combine(dir.Path, "schema.json"));
        // blocks of 64 KiB (the smallest allowed): 3 blocks of the ~140 kB of text, encoded by 3 workers
        var options = new DatasetReadOptions { ShardTargetBytes = 1 << 16, Threads = 3 };
        var blocks = DatasetEncoder.Read(schema, [csv + ".gz"], Path.Combine(dir.Path, "items.csv"), options);
        Assert.Equal(3000, blocks.Report.RowsRead);
        AssertSameDataset(onePass, blocks);

        // a bad row past the first block: the error names the block
        var lines = File.ReadAllLines(Path.Combine(dir.Path, "interactions.csv.bak"));
        lines[2500] = "u00001,k1,ios,b001,,1";
        using (var gz = new System.IO.Compression.GZipStream(File.Create(csv + ".gz"), System.IO.Compression.CompressionLevel.Fastest))
        using (var w = new StreamWriter(gz))
            foreach (var l in lines) w.WriteLine(l);
        var e = Assert.Throws<DataFormatException>(() => DatasetEncoder.Read(schema, [csv + ".gz"], Path.Combine(dir.Path, "items.csv"), options));
        Assert.Contains("interactions.csv.gz (block 2", e.Message);
        Assert.Contains("missing item key", e.Message);
    }

    [Fact]
    public void Shards_and_datasets_survive_a_binary_round_trip()
    {
        using var dir = new TempDirectory();
        SyntheticGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 800, Items = 60, Seed = 4 });
        var data = DatasetEncoder.Read(dir.Path);
        using var ms = new MemoryStream();
        BinaryFormat.WriteHeader(ms, data.Header);
        ms.Position = 0;
        var header = BinaryFormat.ReadHeader(ms);
        var train = RoundTrip(data.Train.Materialize(), data.Schema);
        var eval = RoundTrip(data.Eval.Materialize(), data.Schema);
        var back = new EncodedDataset { Header = header, Train = ExampleParts.InMemory([train]), Eval = ExampleParts.InMemory([eval]) };
        AssertSameDataset(data, back);
        Assert.Equal(data.Report, back.Report with { BadRowMessages = data.Report.BadRowMessages });
        Assert.Equal(data.Schema.All, back.Schema.All);

        using var reader = DataFiles.Open(Path.Combine(dir.Path, "interactions.csv"), ShardEncoder.InteractionColumns(data.Schema), data.Schema.Ignore);
        var shard = ShardEncoder.EncodeInteractions(reader, data.Schema, withCatalog: true, new DatasetReadOptions());
        using var ms2 = new MemoryStream();
        BinaryFormat.WriteShardVocabulary(ms2, shard.Vocabulary);
        ms2.Position = 0;
        var vocabularyBack = BinaryFormat.ReadShardVocabulary(ms2, data.Schema);
        Assert.Equal(shard.Vocabulary.Dictionaries[0].Values, vocabularyBack.Dictionaries[0].Values);
        Assert.Equal(shard.Vocabulary.Dictionaries[0].Counts, vocabularyBack.Dictionaries[0].Counts);
        Assert.Equal(shard.Vocabulary.FirstRowOfKey, vocabularyBack.FirstRowOfKey);
        Assert.Equal(shard.Vocabulary.EvalRowsOfKey, vocabularyBack.EvalRowsOfKey);
        using var ms3 = new MemoryStream();
        BinaryFormat.WriteShardRows(ms3, shard.Rows);
        ms3.Position = 0;
        Assert.Equal(shard.Rows.TrainKeys, BinaryFormat.ReadShardRows(ms3, data.Schema).TrainKeys);

        // a file of another kind (or a corrupt one) is refused, not misread
        ms3.Position = 0;
        Assert.Throws<InvalidDataException>(() => BinaryFormat.ReadShardVocabulary(ms3, data.Schema));
        ms2.Position = 0;
        ms2.WriteByte((byte)'X');
        ms2.Position = 0;
        Assert.Throws<InvalidDataException>(() => BinaryFormat.ReadShardVocabulary(ms2, data.Schema));
    }

    private static EncodedExamples RoundTrip(EncodedExamples examples, SslRec.Core.Schema.DatasetSchema schema)
    {
        using var ms = new MemoryStream();
        BinaryFormat.WriteExamples(ms, examples);
        ms.Position = 0;
        return BinaryFormat.ReadExamples(ms, schema);
    }
}
