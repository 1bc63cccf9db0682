using System.IO.Compression;
using System.Text;
using System.Text.Json;
using SslRec.Core.Converters;
using SslRec.Core.Data;
using SslRec.Core.Input;
using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Stages;
using SslRec.Pipeline.Storage;

namespace SslRec.Tests.Pipeline;

/// <summary>
/// Every input format through both sources: the same file, on disk and as a blob in Azurite, is planned into the
/// same ranges, and each range reads the same rows, which together are the whole file's rows once each.
/// </summary>
[Collection("azurite")]
public class InputFormatTests(AzuriteFixture azurite)
{
    private const string SchemaJson = """
        { "query": [ {"name": "user_id", "type": "categorical"}, {"name": "history", "type": "multi"}, {"name": "device", "type": "categorical"} ],
          "item": [ {"name": "item_id", "type": "categorical", "key": true}, {"name": "category", "type": "categorical"} ],
          "ignore": ["ts"] }
        """;
    private static readonly DatasetSchema Schema = DatasetSchema.Parse(SchemaJson);
    private static readonly ColumnRequest[] Columns = ShardEncoder.InteractionColumns(Schema);

    /// <summary>About 600 Parquet rows or 30 kB of text a shard: every splittable file here becomes several.</summary>
    private const long ShardTargetBytes = 30_000;

    private sealed record Row(string User, string[] History, string Device, string Item, string Category, long Ts)
    {
        /// <summary>The row as a reader delivers it (a bag joined by its separator).</summary>
        public string Values => string.Join(" / ", User, string.Join('|', History), Device, Item, Category);
    }

    /// <summary>Bags (some empty), a value with a comma (quoted in CSV), a column to ignore.</summary>
    private static readonly Row[] Rows = Enumerable.Range(1, 3000).Select(i => new Row(
        User: $"u{1000 + i}",
        History: i % 7 == 0 ? [] : [$"h{i % 13}", $"h{i * 3 % 17}"],
        Device: i % 5 == 0 ? "ios, tablet" : "web",
        Item: $"i{i * 7919 % 211:D3}",
        Category: $"c{i % 9}",
        Ts: 1_700_000_000 + i * 37L)).ToArray();

    public static TheoryData<string> Files() =>
    [
        "interactions.csv", "interactions.tsv", "interactions.jsonl", "interactions.ndjson",
        "interactions.csv.gz", "interactions.tsv.gz", "interactions.jsonl.gz", "interactions.parquet",
    ];

    [Theory]
    [MemberData(nameof(Files))]
    public async Task A_format_plans_and_reads_a_local_file_and_its_blob_alike(string fileName)
    {
        using var dir = new TempDirectory();
        var path = await WriteAsync(dir, fileName);
        var ctx = await azurite.FreshContextAsync();
        await ctx.Blobs.UploadFileAsync(BlobLayout.Datasets, "formats/v1/" + fileName, path);
        var local = InputFile.Local(path);
        var blob = new InputFile(new BlobDataSource(ctx.Blobs.Blob(BlobLayout.Datasets, "formats/v1/" + fileName)));

        Assert.Same(local.Format, blob.Format);
        Assert.Equal($"datasets/formats/v1/{fileName}", blob.Name);
        var ranges = local.Plan(ShardTargetBytes);
        Assert.Equal(ranges, blob.Plan(ShardTargetBytes));
        if (InputFormats.IsGzip(fileName)) Assert.Equal(new[] { InputRange.Whole }, ranges); // one gzip stream, one shard
        else Assert.InRange(ranges.Count, 3, 20);
        Assert.Equal(fileName.EndsWith(".parquet") ? RangeUnit.RowGroups : RangeUnit.Bytes, local.Format.Unit);

        var expected = Rows.Select(r => r.Values).ToList();
        Assert.Equal(expected, ReadValues(local, InputRange.Whole));
        Assert.Equal(expected, ReadValues(blob, InputRange.Whole));
        Assert.Equal(expected, ranges.SelectMany(r => ReadValues(local, r)).ToList());
        Assert.Equal(expected, ranges.SelectMany(r => ReadValues(blob, r)).ToList());
    }

    [Theory]
    [InlineData("bad.csv")]
    [InlineData("bad.parquet")]
    public async Task A_bad_row_in_a_range_is_named_alike_from_the_local_file_and_the_blob(string fileName)
    {
        using var dir = new TempDirectory();
        var path = await WriteAsync(dir, fileName, missingItemAt: Rows.Length - 10);
        var ctx = await azurite.FreshContextAsync();
        await ctx.Blobs.UploadFileAsync(BlobLayout.Datasets, "formats/v1/" + fileName, path);
        var local = InputFile.Local(path);
        var blob = new InputFile(new BlobDataSource(ctx.Blobs.Blob(BlobLayout.Datasets, "formats/v1/" + fileName)));

        var last = local.Plan(ShardTargetBytes).Last();
        var fromFile = Assert.Throws<DataFormatException>(() => Encode(local, last));
        var fromBlob = Assert.Throws<DataFormatException>(() => Encode(blob, last));
        Assert.StartsWith(path + " (", fromFile.FilePath); // the range: bytes or row groups
        Assert.Equal(fromFile.FilePath.Replace(path, $"datasets/formats/v1/{fileName}"), fromBlob.FilePath);
        Assert.Equal((fromFile.Row, fromFile.Field, fromFile.Problem), (fromBlob.Row, fromBlob.Field, fromBlob.Problem));
        Assert.Equal(("item_id", "missing item key"), (fromBlob.Field, fromBlob.Problem));
    }

    [Fact]
    public async Task A_map_message_from_before_the_unit_is_processed_and_one_whose_unit_contradicts_the_format_is_refused()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync(new PipelineOptions { ShardTargetBytes = ShardTargetBytes });
        var data = dir.Sub("data");
        File.WriteAllText(Path.Combine(data, DatasetSchema.FileName), SchemaJson);
        File.WriteAllText(Path.Combine(data, "interactions.csv"), Text("interactions.csv", Rows));
        var (dataset, version, runId) = await DatasetDrop.UploadAsync(ctx, data, "compat", "v1", enqueueEvent: false);
        await new DropStage(ctx).StartRunAsync(dataset, version, runId, version, overrides: null, warmStart: false, default);
        var run = await ctx.Runs.RequireAsync(runId);
        Assert.InRange(run.Shards.Count, 3, 20);
        Assert.All(run.Shards, s => Assert.Equal(RangeUnit.Bytes, s.Unit));

        // as versions before the unit queued it: no "unit", and Start/End count what the .csv format counts
        var old = ShardMapMessage.For(runId, run.Shards[1] with { Unit = null }).ToJson();
        Assert.DoesNotContain("unit", old);
        await new ShardMapStage(ctx).HandleAsync(JobMessage.Parse<ShardMapMessage>(old));
        Assert.True(await ctx.Blobs.ExistsAsync(BlobLayout.Artifacts, BlobLayout.ShardVocabulary(runId, 1)));

        var contradicting = ShardMapMessage.For(runId, run.Shards[2] with { Unit = RangeUnit.RowGroups });
        var e = await Assert.ThrowsAsync<InvalidMessageException>(() => new ShardMapStage(ctx).HandleAsync(contradicting));
        Assert.StartsWith("shard-map: datasets/compat/v1/interactions.csv is CSV, whose ranges count Bytes, but the message's range", e.Message);
        Assert.False(await ctx.Blobs.ExistsAsync(BlobLayout.Artifacts, BlobLayout.ShardVocabulary(runId, 2)));
    }

    private static void Encode(InputFile file, InputRange range) =>
        ShardEncoder.Encode(file, range, catalog: false, Schema, withCatalog: false, new DatasetReadOptions());

    /// <summary>The values of each row of a range, as the reader delivers them.</summary>
    private static List<string> ReadValues(InputFile file, InputRange range)
    {
        using var reader = file.Open(range, Columns, Schema.Ignore);
        var rows = new List<string>();
        while (reader.Read()) rows.Add(string.Join(" / ", Enumerable.Range(0, Columns.Length).Select(c => reader.Get(c).ToString())));
        return rows;
    }

    /// <summary>The rows in the format the name calls for (Parquet: converted from the CSV, in row groups of 250 rows).</summary>
    private static async Task<string> WriteAsync(TempDirectory dir, string fileName, int missingItemAt = -1)
    {
        var rows = Rows.Select((r, i) => i == missingItemAt ? r with { Item = "" } : r).ToArray();
        var path = Path.Combine(dir.Path, fileName);
        if (fileName.EndsWith(".parquet"))
        {
            var csv = dir.Sub("csv");
            File.WriteAllText(Path.Combine(csv, DatasetSchema.FileName), SchemaJson);
            File.WriteAllText(Path.Combine(csv, "interactions.csv"), Text("interactions.csv", rows));
            await ParquetConverter.ConvertAsync(csv, dir.Sub("parquet"), rowGroupRows: 250);
            File.Copy(Path.Combine(dir.Path, "parquet", "interactions.parquet"), path);
            return path;
        }
        var bytes = Encoding.UTF8.GetBytes(Text(fileName, rows));
        if (InputFormats.IsGzip(fileName))
            using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest)) gz.Write(bytes);
        else File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>The rows as CSV, TSV or JSON Lines text; columns in another order than the reader asks for.</summary>
    private static string Text(string fileName, IEnumerable<Row> rows)
    {
        var format = InputFormats.For(fileName);
        if (format == DelimitedTextFormat.Csv)
            return "item_id,ts,user_id,device,history,category\n" + string.Concat(rows.Select(r =>
                $"{r.Item},{r.Ts},{r.User},{(r.Device.Contains(',') ? $"\"{r.Device}\"" : r.Device)},{string.Join('|', r.History)},\"{r.Category}\"\n"));
        if (format == DelimitedTextFormat.Tsv)
            return "user_id\thistory\tdevice\titem_id\tcategory\tts\n" + string.Concat(rows.Select(r =>
                $"{r.User}\t{string.Join('|', r.History)}\t{r.Device}\t{r.Item}\t{r.Category}\t{r.Ts}\n"));
        return string.Concat(rows.Select(r => JsonSerializer.Serialize(new
        {
            ts = r.Ts, category = r.Category, item_id = r.Item, device = r.Device, history = r.History, user_id = r.User,
        }) + "\n"));
    }
}
