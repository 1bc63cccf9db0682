using SslRec.Core.Reading;
using SslRec.Core.Schema;

namespace SslRec.Core.Converters;

/// <summary>
/// Converts a link-prediction graph — an edge list (source, target per line, tab or space separated, '#'
/// comments) and a node attribute table (TSV with a header; first column the node id) — into SslRec's
/// format, the paper's Wikipedia setting: query = the source node, item = the linked node, both described
/// by the same attributes. A column whose values contain '|' is multi-valued; a "title" column becomes
/// "title_words". Query features are the node features prefixed with "src_".
/// </summary>
public static class EdgeListConverter
{
    public sealed record Result(long Edges, int Nodes, long SkippedEdges);

    public static Result Convert(string edgesPath, string nodesPath, string output)
    {
        var (columns, nodes) = ReadNodes(nodesPath);
        Directory.CreateDirectory(output);
        var multi = columns.Select((c, i) => c == "title_words" || nodes.Values.Any(v => v[i].Contains('|'))).ToArray();

        using (var items = new StreamWriter(Path.Combine(output, "items.csv")))
        {
            items.WriteLine(string.Join(',', columns));
            foreach (var values in nodes.Values) items.WriteLine(string.Join(',', values.Select(CsvText.Field)));
        }
        long edges = 0, skipped = 0;
        using (var writer = new StreamWriter(Path.Combine(output, "interactions.csv")))
        {
            writer.WriteLine(string.Join(',', columns.Select(c => "src_" + c)) + "," + columns[0]);
            var row = 0L;
            foreach (var line in File.ReadLines(edgesPath))
            {
                row++;
                if (line.Length == 0 || line[0] == '#') continue;
                var f = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 2) throw new DataFormatException(edgesPath, row, null, "expected a source and a target node id");
                if (!nodes.TryGetValue(f[0], out var source) || !nodes.ContainsKey(f[1])) { skipped++; continue; }
                writer.WriteLine(string.Join(',', source.Select(CsvText.Field)) + "," + CsvText.Field(f[1]));
                edges++;
            }
        }
        FeatureSpec Spec(string name, int i, FeatureSide side, bool key = false) =>
            new() { Name = name, Type = multi[i] ? FeatureType.Multi : FeatureType.Categorical, Side = side, Key = key };
        var schema = new DatasetSchema(
            columns.Select((c, i) => Spec("src_" + c, i, FeatureSide.Query)).ToList(),
            columns.Select((c, i) => Spec(c, i, FeatureSide.Item, key: i == 0)).ToList(),
            new SplitSpec(0.1, 42));
        File.WriteAllText(Path.Combine(output, DatasetSchema.FileName), schema.ToJson());
        return new Result(edges, nodes.Count, skipped);
    }

    private static (string[] Columns, Dictionary<string, string[]> Nodes) ReadNodes(string path)
    {
        using var reader = new StreamReader(path);
        var header = reader.ReadLine() ?? throw new DataFormatException(path, 1, null, "the node file is empty (a header row is required)");
        var names = header.Split('\t');
        var columns = names.Select((n, i) => i == 0 ? "node_id" : n.Trim().ToLowerInvariant() == "title" ? "title_words" : n.Trim()).ToArray();
        var nodes = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var row = 1L;
        while (reader.ReadLine() is { } line)
        {
            row++;
            if (line.Length == 0) continue;
            var f = line.Split('\t');
            if (f.Length != names.Length) throw new DataFormatException(path, row, null, $"expected {names.Length} tab-separated fields as in the header, found {f.Length}");
            for (var i = 1; i < f.Length; i++)
                if (columns[i] == "title_words") f[i] = CsvText.Words(f[i]);
            if (!nodes.TryAdd(f[0], f)) throw new DataFormatException(path, row, names[0], $"node '{f[0]}' is listed twice");
        }
        return (columns, nodes);
    }
}
