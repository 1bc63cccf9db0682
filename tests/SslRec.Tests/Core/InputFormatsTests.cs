using SslRec.Core.Input;
using SslRec.Core.Reading;

namespace SslRec.Tests.Core;

/// <summary>The one place where a file name picks its format; what the name of an unreadable file gets for an answer.</summary>
public class InputFormatsTests
{
    [Theory]
    [InlineData("a.csv", "CSV")]
    [InlineData("dir/A.CSV.GZ", "CSV")]
    [InlineData("datasets/shop/v1/b.tsv.gz", "TSV")]
    [InlineData("c.jsonl", "JSON Lines")]
    [InlineData("c.ndjson.gz", "JSON Lines")]
    [InlineData("items.parquet", "Parquet")]
    public void A_name_selects_its_format(string name, string format)
    {
        Assert.Equal(format, InputFormats.For(name).Name);
        Assert.True(DataFiles.IsDataFile(name));
    }

    [Fact]
    public void A_name_of_no_format_or_a_gzipped_parquet_file_is_refused_naming_the_file()
    {
        Assert.False(DataFiles.IsDataFile("notes.txt"));
        Assert.False(DataFiles.IsDataFile("schema.json"));
        var unknown = Assert.Throws<InvalidDataException>(() => InputFormats.For("data/notes.txt"));
        Assert.Equal("data/notes.txt: not a data file (expected *.csv, *.tsv, *.jsonl, *.ndjson (optionally .gz), *.parquet)", unknown.Message);

        // counted as data, so a dataset holding one fails naming it instead of training without its rows
        Assert.True(DataFiles.IsDataFile("x.parquet.gz"));
        var gz = Assert.Throws<InvalidDataException>(() => InputFormats.For("data/x.parquet.gz"));
        Assert.StartsWith("data/x.parquet.gz: Parquet files cannot be gzip-compressed", gz.Message);
    }

    [Fact]
    public void The_catalog_is_items_in_any_format_and_a_folder_without_interactions_lists_every_format()
    {
        Assert.True(DataFiles.IsCatalog("d/items.ndjson.gz"));
        Assert.True(DataFiles.IsCatalog("d/ITEMS.parquet"));
        Assert.False(DataFiles.IsCatalog("d/items.v2.csv"));
        var (interactions, catalog) = DataFiles.Classify(["d/b.csv", "d/items.parquet", "d/schema.json", "d/a.jsonl"], "d");
        Assert.Equal(["d/a.jsonl", "d/b.csv"], interactions);
        Assert.Equal("d/items.parquet", catalog);

        var none = Assert.Throws<InvalidDataException>(() => DataFiles.Classify(["d/items.csv", "d/schema.json"], "datasets/shop/v1/"));
        Assert.Equal("datasets/shop/v1/: no interaction files (expected *.csv, *.tsv, *.jsonl, *.ndjson (optionally .gz), *.parquet)", none.Message);
        var two = Assert.Throws<InvalidDataException>(() => DataFiles.Classify(["d/items.csv", "d/items.parquet", "d/a.csv"], "d"));
        Assert.Equal("d: more than one item catalog (items.csv, items.parquet)", two.Message);
    }

    [Fact]
    public void A_file_of_one_range_is_planned_whole_and_a_range_of_a_gzip_file_is_refused()
    {
        using var dir = new TempDirectory();
        var small = InputFile.Local(dir.File("a.csv", "user,item\nu1,i1\n"));
        Assert.Equal(new[] { InputRange.Whole }, small.Plan(1 << 20));
        Assert.Equal(new[] { InputRange.Whole }, small.Plan(0)); // 0: no splitting

        var gz = InputFile.Local(dir.File("b.csv.gz", "not read"));
        var e = Assert.Throws<InvalidDataException>(() => gz.Open(new InputRange(10, 20), [new("user", null)], new HashSet<string>()));
        Assert.Contains("b.csv.gz: a gzip file is read whole", e.Message);
    }
}
