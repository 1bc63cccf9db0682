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

    public static Result Convert(string inputDirectory, string outputDirectory, int rowGroupRows = 250_000)
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
            var (r, g) = ConvertFile(file, Path.Combine(outputDirectory, InputFormats.Stem(Path.GetFileName(file)) + ".parquet"), features, schema.Ignore, rowGroupRows);
            rows += r;
            groups += g;
        }
        return new Result(interactions.Count + (catalog is null ? 0 : 1), rows, groups);
    }

    private static (long Rows, int Groups) ConvertFile(string input, string output, IReadOnlyList<FeatureSpec> features, IReadOnlySet<string> ignored, int rowGroupRows)
    {
        using var reader = DataFiles.Open(input, features.Select(f => new ColumnRequest(f.Name, f.IsMulti ? f.Separator : null)).ToList(), ignored);
        var present = features.Select((f, slot) => (f, slot)).Where(x => reader.HasColumn(x.slot)).ToList();
        var columns = present.Select(x => new PendingColumn(x.f, x.slot)).ToList();
        var schema = new ParquetSchema(columns.Select(c => c.Field).ToArray());
        using var stream = File.Create(output);
        var writer = ParquetWriter.CreateAsync(schema, stream).GetAwaiter().GetResult();
        long rows = 0;
        var groups = 0;
        var inGroup = 0;
        try
        {
            while (reader.Read())
            {
                foreach (var c in columns) c.Add(reader.Get(c.Slot));
                rows++;
                if (++inGroup == rowGroupRows) Flush();
            }
            if (inGroup > 0 || groups == 0) Flush();
        }
        finally
        {
            writer.DisposeAsync().AsTask().GetAwaiter().GetResult(); // writes the footer
        }
        return (rows, groups);

        void Flush()
        {
            using var group = writer.CreateRowGroup();
            foreach (var c in columns) c.WriteTo(group);
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

        public void WriteTo(ParquetRowGroupWriter group)
        {
            if (spec.IsMulti) group.WriteAsync(_leaf, _values.ToArray(), _repetitions.ToArray()).GetAwaiter().GetResult();
            else group.WriteAsync(_leaf, _values.ToArray(), null).GetAwaiter().GetResult();
            _values.Clear();
            _repetitions.Clear();
        }
    }
}
