using SslRec.Core.Data;
using SslRec.Core.Reading;
using SslRec.Core.Vocab;

namespace SslRec.Tests.Core;

public class DatasetEncoderTests
{
    private const string Schema = """
        { "query": [ {"name": "user", "type": "categorical", "min_count": 1},
                     {"name": "hist", "type": "multi", "min_count": 1} ],
          "item":  [ {"name": "item", "type": "categorical", "key": true, "min_count": 2, "oov_buckets": 3},
                     {"name": "cat", "type": "categorical", "min_count": 1} ],
          "split": {"holdout_fraction": 0.0, "seed": 1} }
        """;

    private static TempDirectory Dataset(string interactions, string? items = null, string schema = Schema)
    {
        var dir = new TempDirectory();
        dir.File("schema.json", schema);
        dir.File("interactions.csv", interactions);
        if (items is not null) dir.File("items.csv", items);
        return dir;
    }

    [Fact]
    public void Without_catalog_the_corpus_is_the_items_of_the_interactions()
    {
        using var dir = Dataset("user,hist,item,cat\nu1,a|b,i1,c1\nu2,,i1,c1\nu1,b,i2,c2\n");
        var d = DatasetEncoder.Read(dir.Path);
        Assert.Equal(["i1", "i2"], d.ItemKeys);
        Assert.Equal([2L, 1L], d.ItemTrainCounts);
        Assert.Equal(3, d.Train.Count);
        Assert.Equal([0, 0, 1], d.Train.Materialize().ItemIndex);

        // item key: i1 seen twice keeps an id; i2 seen once falls into one of 3 hashed buckets.
        var itemVocab = d.Vocabularies[2];
        Assert.Equal(["i1"], itemVocab.Values);
        Assert.Equal(1 + 1 + 3, itemVocab.Size);
        var items = d.Items.Columns[0].Ids!;
        Assert.Equal(1, items[0]);
        Assert.True(itemVocab.IsOov(items[1]));

        // multi-valued query feature: bags with offsets; the empty bag means missing.
        var hist = d.Train.Materialize().Queries.Columns[1];
        Assert.Equal([0, 2, 2, 3], hist.Offsets!);
        var histVocab = d.Vocabularies[1];
        Assert.Equal(histVocab.IdOf("a"), hist.Values![0]);
        Assert.Equal(histVocab.IdOf("b"), hist.Values![1]);
        Assert.Equal(1, histVocab.IdOf("b")); // most frequent value first
    }

    [Fact]
    public void Catalog_items_form_the_corpus_and_unknown_items_are_reported()
    {
        using var dir = Dataset("user,hist,item\nu1,a,i2\nu2,a,i2\n", "item,cat\ni1,c1\ni2,c2\ni3,c2\n");
        var d = DatasetEncoder.Read(dir.Path);
        Assert.Equal(["i1", "i2", "i3"], d.ItemKeys);
        Assert.Equal([0L, 2L, 0L], d.ItemTrainCounts);
        // non-key item features are counted over catalog items: c2 (2 items) before c1 (1 item)
        Assert.Equal(["c2", "c1"], d.Vocabularies[3].Values);

        File.AppendAllText(Path.Combine(dir.Path, "interactions.csv"), "u3,a,i9\n");
        var e = Assert.Throws<DataFormatException>(() => DatasetEncoder.Read(dir.Path));
        Assert.Equal(4, e.Row);
        Assert.Equal("item", e.Field);
        Assert.Contains("'i9' is not in the catalog", e.Message);
    }

    [Fact]
    public void Missing_key_and_missing_column_are_errors_naming_file_row_and_field()
    {
        using var dir = Dataset("user,hist,item,cat\nu1,a,i1,c\nu2,a,,c\n");
        var e = Assert.Throws<DataFormatException>(() => DatasetEncoder.Read(dir.Path));
        Assert.EndsWith("interactions.csv", e.FilePath);
        Assert.Equal(3, e.Row);
        Assert.Equal("item", e.Field);

        using var noColumn = Dataset("user,item,cat\nu1,i1,c\n");
        var e2 = Assert.Throws<DataFormatException>(() => DatasetEncoder.Read(noColumn.Path));
        Assert.Equal("hist", e2.Field);
        Assert.Contains("missing from the header", e2.Message);
    }

    [Fact]
    public void Bad_rows_within_the_allowance_are_skipped_and_counted()
    {
        using var dir = Dataset("user,hist,item,cat\nu1,a,i1,c\nu2,a\nu3,a,,c\nu4,b,i1,c\n");
        Assert.Throws<DataFormatException>(() => DatasetEncoder.Read(dir.Path, new DatasetReadOptions { MaxBadRows = 1 }));
        var d = DatasetEncoder.Read(dir.Path, new DatasetReadOptions { MaxBadRows = 2 });
        Assert.Equal(2, d.Report.BadRows);
        Assert.Equal(2, d.Train.Count);
        Assert.Contains("row 3", d.Report.BadRowMessages[0]);
        Assert.Contains("row 4", d.Report.BadRowMessages[1]);
        Assert.Equal(d.Vocabularies[0].IdOf("u4"), d.Train.Materialize().Queries.Columns[0].Ids![1]);
    }

    [Fact]
    public void Holdout_split_is_deterministic_by_seed_and_close_to_the_fraction()
    {
        var rows = string.Concat(Enumerable.Range(0, 4000).Select(i => $"u{i % 50},h{i % 7},i{i % 100},c{i % 5}\n"));
        var schema = Schema.Replace("\"holdout_fraction\": 0.0", "\"holdout_fraction\": 0.25");
        using var dir = Dataset("user,hist,item,cat\n" + rows, schema: schema);
        var a = DatasetEncoder.Read(dir.Path);
        var b = DatasetEncoder.Read(dir.Path);
        Assert.Equal(a.Eval.Materialize().ItemIndex, b.Eval.Materialize().ItemIndex);
        Assert.Equal(a.Eval.Materialize().Queries.Columns[0].Ids, b.Eval.Materialize().Queries.Columns[0].Ids);
        Assert.InRange(a.Eval.Count / 4000.0, 0.22, 0.28);

        File.WriteAllText(Path.Combine(dir.Path, "schema.json"), schema.Replace("\"seed\": 1", "\"seed\": 2"));
        var c = DatasetEncoder.Read(dir.Path);
        Assert.NotEqual(a.Eval.Materialize().Queries.Columns[0].Ids, c.Eval.Materialize().Queries.Columns[0].Ids);
    }

    [Fact]
    public void Data_fraction_subsamples_training_rows_only()
    {
        var rows = string.Concat(Enumerable.Range(0, 4000).Select(i => $"u{i},h,i{i % 100},c\n"));
        var schema = Schema.Replace("\"holdout_fraction\": 0.0", "\"holdout_fraction\": 0.1");
        using var dir = Dataset("user,hist,item,cat\n" + rows, schema: schema);
        var full = DatasetEncoder.Read(dir.Path);
        var quarter = DatasetEncoder.Read(dir.Path, new DatasetReadOptions { DataFraction = 0.25 });
        Assert.Equal(full.Eval.Count, quarter.Eval.Count);
        Assert.InRange(quarter.Train.Count / (double)full.Train.Count, 0.22, 0.28);
        Assert.Equal(full.Train.Count - quarter.Train.Count, quarter.Report.RowsOutsideFraction);
        // vocabularies come from the kept training rows only
        Assert.True(quarter.Vocabularies[0].Values.Count < full.Vocabularies[0].Values.Count);
    }

    [Fact]
    public void Jsonl_and_csv_files_of_one_dataset_are_read_together()
    {
        using var dir = Dataset("user,hist,item,cat\nu1,a,i1,c\n");
        dir.File("more.jsonl", "{\"user\": \"u2\", \"hist\": [\"a\", \"b\"], \"item\": \"i1\", \"cat\": \"c\"}\n");
        var d = DatasetEncoder.Read(dir.Path);
        Assert.Equal(2, d.Train.Count);
        Assert.Equal(2L, d.ItemTrainCounts[0]);
    }
}
