using Parquet;
using Parquet.Schema;
using SslRec.Core.Converters;
using SslRec.Core.Data;
using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Core.Synthetic;

namespace SslRec.Tests.Core;

public class ParquetTests
{
    /// <summary>Writes a Parquet file with the given columns (string values; null = missing) in one row group.</summary>
    private static async Task WriteAsync(string path, params (DataField Field, Array Values)[] columns)
    {
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(columns.Select(c => (Field)c.Field).ToArray()), stream);
        using var group = writer.CreateRowGroup();
        foreach (var (field, values) in columns)
            switch (values)
            {
                case string?[] s: await group.WriteAsync(field, s, null); break;
                case long[] l: await group.WriteAsync<long>(field, l.AsMemory(), null); break;
                case double[] d: await group.WriteAsync<double>(field, d.AsMemory(), null); break;
            }
    }

    private static readonly ColumnRequest[] UserItem = [new("user", null), new("item", null)];

    private static List<string> ReadAll(IRowReader reader)
    {
        var rows = new List<string>();
        while (reader.Read()) rows.Add($"{reader.Row}:{reader.Get(0)}/{reader.Get(1)}");
        return rows;
    }

    [Fact]
    public async Task String_and_integer_columns_read_as_categorical_values_with_nulls_as_missing()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "x.parquet");
        await WriteAsync(path, (new DataField<string>("user"), new string?[] { "u1", null, "u3" }), (new DataField<long>("item"), new long[] { 7, -8, 9000000000 }));
        using var reader = DataFiles.Open(path, UserItem, new HashSet<string>());
        Assert.Equal(["1:u1/7", "2:/-8", "3:u3/9000000000"], ReadAll(reader));
    }

    [Fact]
    public async Task A_converted_dataset_reads_the_same_rows_items_and_item_features_in_any_number_of_row_groups()
    {
        using var dir = new TempDirectory();
        var csv = dir.Sub("csv");
        SyntheticGenerator.Generate(csv, new SyntheticOptions { Interactions = 3000, Items = 120, Seed = 8 });
        var fromCsv = DatasetEncoder.Read(csv);
        var converted = await ParquetConverter.ConvertAsync(csv, dir.Sub("one"), rowGroupRows: 1_000_000);
        Assert.Equal(3120, converted.Rows);
        await ParquetConverter.ConvertAsync(csv, dir.Sub("many"), rowGroupRows: 170);
        var one = DatasetEncoder.Read(dir.Sub("one"));
        var many = DatasetEncoder.Read(dir.Sub("many"), new DatasetReadOptions { ShardTargetBytes = 1, Threads = 3 }); // one part per row group

        Assert.Equal(18, many.Train.PartCount);
        foreach (var d in new[] { one, many })
        {
            Assert.Equal(fromCsv.Report.RowsRead, d.Report.RowsRead);
            Assert.Equal(fromCsv.Report.TrainRows + fromCsv.Report.EvalRows, d.Report.TrainRows + d.Report.EvalRows);
            Assert.Equal(fromCsv.ItemKeys, d.ItemKeys);
            // item features other than the key are counted over the catalog, so their vocabularies and ids match the CSV's exactly
            for (var f = 0; f < d.Schema.Item.Count; f++)
            {
                if (f == d.Schema.ItemKeyIndex) continue;
                Assert.Equal(fromCsv.ItemVocabularies[f].Values, d.ItemVocabularies[f].Values);
                Assert.Equal(fromCsv.Items.Columns[f].Ids ?? fromCsv.Items.Columns[f].Values, d.Items.Columns[f].Ids ?? d.Items.Columns[f].Values);
            }
        }
        // the split depends on the row's values only, so row groups do not change the dataset
        Assert.Equal(one.Train.Materialize().ItemIndex, many.Train.Materialize().ItemIndex);
        Assert.Equal(one.Eval.Materialize().Queries.Columns[3].Values, many.Eval.Materialize().Queries.Columns[3].Values);
    }

    [Fact]
    public async Task A_column_type_sslrec_cannot_read_is_an_error_naming_file_and_column()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "x.parquet");
        await WriteAsync(path, (new DataField<string>("user"), new string?[] { "u1" }), (new DataField<double>("item"), new[] { 0.5 }));
        var e = Assert.Throws<DataFormatException>(() => DataFiles.Open(path, UserItem, new HashSet<string>()));
        Assert.Contains("x.parquet", e.Message);
        Assert.Equal("item", e.Field);
        Assert.Contains("Double", e.Message);
    }

    [Fact]
    public async Task An_undeclared_column_is_an_error_unless_ignored_and_a_declared_one_missing_is_reported_by_the_encoder()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "x.parquet");
        await WriteAsync(path, (new DataField<string>("user"), new string?[] { "u1" }), (new DataField<string>("item"), new string?[] { "i1" }), (new DataField<long>("ts"), new long[] { 1 }));
        Assert.Equal("ts", Assert.Throws<DataFormatException>(() => DataFiles.Open(path, UserItem, new HashSet<string>())).Field);
        using (var reader = DataFiles.Open(path, UserItem, new HashSet<string> { "ts" }))
            Assert.Equal(["1:u1/i1"], ReadAll(reader));

        var schema = DatasetSchema.Parse("""
            { "query": [ { "name": "user", "type": "categorical" }, { "name": "country", "type": "categorical" } ],
              "item": [ { "name": "item", "type": "categorical", "key": true } ], "ignore": ["ts"] }
            """, "schema.json");
        var missing = Assert.Throws<DataFormatException>(() => DatasetEncoder.Read(schema, [path], null));
        Assert.Equal("country", missing.Field);
        Assert.Contains("missing", missing.Message);
    }

    [Fact]
    public async Task A_truncated_or_foreign_file_is_reported_as_not_a_readable_parquet_file_with_its_name()
    {
        using var dir = new TempDirectory();
        var csv = dir.Sub("csv");
        SyntheticGenerator.Generate(csv, new SyntheticOptions { Interactions = 500, Items = 40, Seed = 8 });
        var pq = dir.Sub("pq");
        await ParquetConverter.ConvertAsync(csv, pq);
        var file = Path.Combine(pq, "interactions.parquet");
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length - 100)]); // the footer is at the end
        var e = Assert.ThrowsAny<InvalidDataException>(() => DatasetEncoder.Read(pq));
        Assert.Contains("interactions.parquet: not a readable Parquet file", e.Message);

        File.WriteAllText(file, "user,item\nu1,i1\n");
        Assert.Contains("interactions.parquet: not a readable Parquet file", Assert.ThrowsAny<InvalidDataException>(() => DatasetEncoder.Read(pq)).Message);
    }

    [Fact]
    public async Task A_list_column_for_a_categorical_feature_is_refused()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "x.parquet");
        var user = new DataField<string>("user");
        var element = new DataField<string>("element");
        await using (var stream = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(user, new ListField("item", element)), stream))
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(user, new[] { "u1" }, null);
            await group.WriteAsync(element, new[] { "a", "b" }, new[] { 0, 1 });
        }
        var e = Assert.Throws<DataFormatException>(() => DataFiles.Open(path, UserItem, new HashSet<string>()));
        Assert.Equal("item", e.Field);
        Assert.Contains("lists", e.Message);
    }
}
