using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using SslRec.Core.Schema;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Training.Export;

/// <summary>
/// The quantized (DPQ/MGQE) embedding tables of a tower as stored for serving, in compact_tables/:
/// per feature {feature}.codes (one code per id and group, row-major; one byte each, or two when a
/// codebook has more than 256 centroids) and {feature}.codebook.f32 (G × K × D/G float32 value
/// centroids), described by compact_tables.json. Row r of the table is the concatenation over groups g
/// of codebook[g, codes[r, g]] — exactly what the trained tower computes for id r.
/// </summary>
public static class CompactTables
{
    public const string Folder = "compact_tables";
    private const string IndexFile = "compact_tables.json";

    public sealed record Entry(
        [property: JsonPropertyName("feature")] string Feature,
        [property: JsonPropertyName("ids")] int Ids,
        [property: JsonPropertyName("groups")] int Groups,
        [property: JsonPropertyName("centroids")] int Centroids,
        [property: JsonPropertyName("dim")] int Dim,
        [property: JsonPropertyName("code_bytes")] int CodeBytes,
        [property: JsonPropertyName("serving_bytes")] long ServingBytes);

    /// <summary>Writes the tower's quantized tables (nothing when it has none); returns what was written.</summary>
    public static List<Entry> Write(string directory, Tower tower, IReadOnlyList<FeatureSpec> features)
    {
        var entries = new List<Entry>();
        for (var f = 0; f < tower.FeatureCount; f++)
        {
            if (tower.Quantized(f) is not { } q) continue;
            var folder = Path.Combine(directory, Folder);
            Directory.CreateDirectory(folder);
            using var scope = NewDisposeScope();
            var codes = q.Codes().cpu();
            var codeBytes = q.Centroids <= 256 ? 1 : 2;
            var raw = codes.to(codeBytes == 1 ? ScalarType.Byte : ScalarType.Int16).contiguous();
            File.WriteAllBytes(Path.Combine(folder, features[f].Name + ".codes"),
                codeBytes == 1 ? raw.data<byte>().ToArray() : MemoryMarshal.AsBytes(raw.data<short>().ToArray().AsSpan()).ToArray());
            File.WriteAllBytes(Path.Combine(folder, features[f].Name + ".codebook.f32"),
                MemoryMarshal.AsBytes(q.Codebook().cpu().contiguous().data<float>().ToArray().AsSpan()).ToArray());
            entries.Add(new Entry(features[f].Name, (int)codes.shape[0], q.Groups, q.Centroids, q.Dim, codeBytes, q.ServingBytes()));
        }
        if (entries.Count > 0)
            File.WriteAllText(Path.Combine(directory, Folder, IndexFile), JsonSerializer.Serialize(entries, new JsonSerializerOptions { WriteIndented = true }));
        return entries;
    }

    /// <summary>The full (ids × D) table of one feature rebuilt from its codes and codebook.</summary>
    public static Tensor Read(string directory, string feature)
    {
        var folder = Path.Combine(directory, Folder);
        var entries = JsonSerializer.Deserialize<List<Entry>>(File.ReadAllText(Path.Combine(folder, IndexFile))) ?? [];
        var e = entries.FirstOrDefault(x => x.Feature == feature) ?? throw new ArgumentException($"no compact table for feature '{feature}' in {folder}");
        var bytes = File.ReadAllBytes(Path.Combine(folder, feature + ".codes"));
        var codebookBytes = File.ReadAllBytes(Path.Combine(folder, feature + ".codebook.f32"));
        using var scope = NewDisposeScope(); // owned temporaries (README, "Native memory safety")
        var codes = e.CodeBytes == 1
            ? HostTensors.From<byte>(bytes, [e.Ids, e.Groups]).to(ScalarType.Int64)
            : HostTensors.From(MemoryMarshal.Cast<byte, short>(bytes), [e.Ids, e.Groups]).to(ScalarType.Int64);
        var codebook = HostTensors.From(MemoryMarshal.Cast<byte, float>(codebookBytes), [e.Groups, e.Centroids, e.Dim / e.Groups]);
        return QuantizedEmbedding.Decode(codes, codebook).MoveToOuterDisposeScope();
    }
}
