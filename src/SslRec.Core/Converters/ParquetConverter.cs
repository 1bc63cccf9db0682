using Parquet;
using Parquet.Schema;
using SslRec.Core.Input;
using SslRec.Core.Reading;
using SslRec.Core.Schema;

namespace SslRec.Core.Converters;

/// <summary>
/// `sslrec convert parquet`: rewrites a dataset folder's text files (CSV, TSV, JSONL) as Parquet with the
/// schema's columns: categorical features as string columns, multi-valued ones as lists of strings, an
/// empty value as null; row groups of a fixed number of rows (each one map shard or part of one).
/// Columns schema.json ignores are left out. The seeded hold-out split hashes a row's declared values
/// (<see cref="Data.SplitKey"/>), so the Parquet copy splits exactly as the text it came from.
/// </summary>
public static class ParquetConverter
{
    public sealed record Result(int Files, long Rows, int RowGroups);

    public static async Task<Result> ConvertAsync(string inputDirectory, string outputDirectory, int rowGroupRows = 250_000, CancellationToken ct = default)
    {
        if (rowGroupRows < 1) throw new ArgumentOutOfRangeException(nameof(rowGroupRows), "row groups need at least one row");
        var schemaPath = Path.Combine(inputDirectory, DatasetSchema.FileName);
        var schema = DatasetSchema.Load(schemaPath);
        var (interactions, catalog) = DataFiles.Discover(inputDirectory);
        Directory.CreateDirectory(outputDirectory);
        File.Copy(schemaPath, Path.Combine(outputDirectory, DatasetSchema.FileName), overwrite: true);
        long rows = 0;
        var groups = 0;
        foreach (var file in interactions.Append(catalog).OfType<string>())
        {
            var features = file == catalog ? schema.Item : schema.All;
            var (r, g) = await ConvertFileAsync(file, Path.Combine(outputDirectory, InputFormats.Stem(Path.GetFileName(file)) + ".parquet"), features, schema.Ignore, rowGroupRows, ct);
            rows += r;
            groups += g;
        }
        return new Result(interactions.Count + (catalog is null ? 0 : 1), rows, groups);
    }

    private static async Task<(long Rows, int Groups)> ConvertFileAsync(string input, string output, IReadOnlyList<FeatureSpec> features, IReadOnlySet<string> ignored,
        int rowGroupRows, CancellationToken ct)
    {
        using var reader = DataFiles.Open(input, features.Select(f => new ColumnRequest(f.Name, f.IsMulti ? f.Separator : null)).ToList(), ignored);
        var present = features.Select((f, slot) => (f, slot)).Where(x => reader.HasColumn(x.slot)).ToList();
        var columns = present.Select(x => new PendingColumn(x.f, x.slot)).ToList();
        var schema = new ParquetSchema(columns.Select(c => c.Field).ToArray());
        await using var stream = File.Create(output);
        await using var writer = await ParquetWriter.CreateAsync(schema, stream, cancellationToken: ct); // disposing it writes the footer
        long rows = 0;
        var groups = 0;
        var inGroup = 0;
        while (reader.Read())
        {
            foreach (var c in columns) c.Add(reader.Get(c.Slot));
            rows++;
            if (++inGroup < rowGroupRows) continue;
            await FlushAsync();
        }
        if (inGroup > 0 || groups == 0) await FlushAsync();
        return (rows, groups);

        async Task FlushAsync()
        {
            using var group = writer.CreateRowGroup();
            foreach (var c in columns) await c.WriteToAsync(group, ct);
            groups++;
            inGroup = 0;
        }
    }

    private sealed class PendingColumn(FeatureSpec spec, int slot)
    {
        private readonly DataField _leaf = new DataField<string>(spec.IsMulti ? "element" : spec.Name);
        private readonly List<string?> _values = [];
        private readonly List<int> _repetitions = [];

        public int Slot => slot;
        public Field Field => spec.IsMulti ? new ListField(spec.Name, _leaf) : _leaf;

        public void Add(ReadOnlySpan<char> text)
        {
            if (!spec.IsMulti)
            {
                _values.Add(text.IsEmpty ? null : text.ToString());
                return;
            }
            var first = true;
            foreach (var range in text.Split(spec.Separator))
            {
                var v = text[range].Trim();
                if (v.IsEmpty) continue;
                _values.Add(v.ToString());
                _repetitions.Add(first ? 0 : 1);
                first = false;
            }
            if (!first) return;
            _values.Add(null); // an empty bag: a row whose list holds no value
            _repetitions.Add(0);
        }

        public async Task WriteToAsync(ParquetRowGroupWriter group, CancellationToken ct)
        {
            ct.ThrowIfCancellationRequested(); // this WriteAsync overload (string values) takes no token
            await group.WriteAsync(_leaf, _values.ToArray(), spec.IsMulti ? _repetitions.ToArray() : null);
            _values.Clear();
            _repetitions.Clear();
        }
    }
}
