using System.Text;
using System.Text.Json;
using DuckDB.NET.Data;
using SslRec.Core.Converters;
using SslRec.Core.Data;
using SslRec.Core.Reading;
using SslRec.Core.Schema;

namespace SslRec.Tests.Core;

/// <summary>
/// The same rows written as CSV, TSV, JSON Lines and Parquet (SslRec's converter and DuckDB, an
/// independent writer) hold out the same rows: the split hashes declared values, not a file's text.
/// </summary>
public class SplitAcrossFormatsTests
{
    private const string Schema = """
        { "query": [ {"name": "user_id", "type": "categorical", "min_count": 1},
                     {"name": "history", "type": "multi", "separator": "|"},
                     {"name": "device", "type": "categorical"} ],
          "item":  [ {"name": "item_id", "type": "categorical", "key": true},
                     {"name": "category", "type": "categorical"} ],
          "split": {"holdout_fraction": 0.2, "seed": 7},
          "ignore": ["ts"] }
        """;

    private sealed record Row(long User, string[] History, string Device, string Item, string Category, long Ts);

    /// <summary>Unique user ids (each row's identity), bags with empty ones, a device with a comma (quoted in CSV), a timestamp to ignore.</summary>
    private static List<Row> Rows() => Enumerable.Range(1, 3000).Select(i => new Row(
        User: 1000 + i,
        History: i % 7 == 0 ? [] : [$"h{i % 13}", $"h{i * 3 % 17}"],
        Device: i % 5 == 0 ? "ios, tablet" : i % 2 == 0 ? "android" : "web",
        Item: $"i{i * 7919 % 211:D3}",
        Category: $"c{i % 9}",
        Ts: 1_700_000_000 + i * 37L)).ToList();

    [Fact]
    public async Task Csv_tsv_jsonl_and_parquet_copies_of_the_same_rows_hold_out_the_same_rows()
    {
        using var dir = new TempDirectory();
        var rows = Rows();
        var csv = Folder(dir, "csv", "interactions.csv",
            "item_id,ts,user_id,device,history,category\n" + string.Concat(rows.Select(r =>
                $"{r.Item},{r.Ts},{r.User},{Quote(r.Device)},{string.Join('|', r.History)},\"{r.Category}\"\n")));
        var tsv = Folder(dir, "tsv", "interactions.tsv",
            "user_id\thistory\tdevice\titem_id\tcategory\tts\n" + string.Concat(rows.Select(r =>
                $"{r.User}\t{string.Join(" | ", r.History)}\t{r.Device}\t{r.Item}\t{r.Category}\t{r.Ts}\n")));
        var jsonl = Folder(dir, "jsonl", "interactions.jsonl", string.Concat(rows.Select(r => JsonSerializer.Serialize(new
        {
            ts = r.Ts, category = r.Category, item_id = r.Item, device = r.Device, history = r.History, user_id = r.User,
        }) + "\n")));
        var converted = dir.Sub("parquet-sslrec");
        await ParquetConverter.ConvertAsync(Path.GetDirectoryName(csv)!, converted, rowGroupRows: 700);
        var duck = DuckDbParquet(dir, csv);

        var expected = HeldOutUsers(csv);
        Assert.InRange(expected.Count, 450, 750); // about 20% of 3,000
        Assert.Equal(expected, HeldOutUsers(tsv));
        Assert.Equal(expected, HeldOutUsers(jsonl));
        Assert.Equal(expected, HeldOutUsers(Path.Combine(converted, "interactions.parquet")));
        Assert.Equal(expected, HeldOutUsers(duck));
    }

    [Fact]
    public void The_data_fraction_leaves_out_the_same_rows_in_every_format()
    {
        using var dir = new TempDirectory();
        var rows = Rows();
        var csv = Folder(dir, "csv", "interactions.csv",
            "user_id,history,device,item_id,category,ts\n" + string.Concat(rows.Select(r => $"{r.User},{string.Join('|', r.History)},{Quote(r.Device)},{r.Item},{r.Category},{r.Ts}\n")));
        var duck = DuckDbParquet(dir, csv);
        var options = new DatasetReadOptions { DataFraction = 0.5 };
        Assert.Equal(Encode(csv, options).Vocabulary.RowsOutsideFraction, Encode(duck, options).Vocabulary.RowsOutsideFraction);
        Assert.Equal(TrainUsers(Encode(csv, options)), TrainUsers(Encode(duck, options)));
    }

    private static string Quote(string value) => value.Contains(',') ? $"\"{value}\"" : value;

    private static string Folder(TempDirectory dir, string name, string file, string content)
    {
        var folder = dir.Sub(name);
        File.WriteAllText(Path.Combine(folder, DatasetSchema.FileName), Schema);
        var path = Path.Combine(folder, file);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    /// <summary>What a DuckDB user writes: user_id read as BIGINT, the history as a LIST column, small row groups, zstd.</summary>
    private static string DuckDbParquet(TempDirectory dir, string csv)
    {
        var folder = dir.Sub("parquet-duckdb-" + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllText(Path.Combine(folder, DatasetSchema.FileName), Schema);
        var output = Path.Combine(folder, "interactions.parquet");
        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            COPY (SELECT ts, string_split(history, '|') AS history, user_id, device, item_id, category
                  FROM read_csv('{csv}', header = true))
            TO '{output}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000)
            """;
        command.ExecuteNonQuery();
        using var check = connection.CreateCommand();
        check.CommandText = $"SELECT typeof(user_id) || ' ' || typeof(history) FROM read_parquet('{output}') LIMIT 1";
        Assert.Equal("BIGINT VARCHAR[]", check.ExecuteScalar()); // an integer column and a list column, not text
        return output;
    }

    private static PartialShard Encode(string path, DatasetReadOptions? options = null)
    {
        var schema = DatasetSchema.Load(Path.Combine(Path.GetDirectoryName(path)!, DatasetSchema.FileName));
        using var reader = DataFiles.Open(path, ShardEncoder.InteractionColumns(schema), schema.Ignore);
        return ShardEncoder.EncodeInteractions(reader, schema, withCatalog: false, options ?? new DatasetReadOptions());
    }

    private static SortedSet<string> HeldOutUsers(string path)
    {
        var shard = Encode(path);
        return new SortedSet<string>(shard.Rows.EvalQueries.Columns[0].Ids!.Select(id => shard.Vocabulary.Dictionaries[0][id]), StringComparer.Ordinal);
    }

    private static SortedSet<string> TrainUsers(PartialShard shard) =>
        new(shard.Rows.TrainQueries.Columns[0].Ids!.Select(id => shard.Vocabulary.Dictionaries[0][id]), StringComparer.Ordinal);
}
