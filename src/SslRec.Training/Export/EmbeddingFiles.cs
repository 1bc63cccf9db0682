using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using SslRec.Core.Artifacts;
using static TorchSharp.torch;

namespace SslRec.Training.Export;

/// <summary>
/// Published item embeddings: items.f32 (row-major float32, little-endian) and ids.txt (one key per row);
/// compact ones beside them: items.pq (row-major one-byte product-quantization codes, G per item),
/// items.pq.codebook.f32 (G × K × D/G float32 centroids) and items.pq.json (the shapes).
/// </summary>
public static class EmbeddingFiles
{
    // File names: the one layout in ModelOutput.
    private const string VectorsFile = ModelOutput.Vectors;
    private const string IdsFile = ModelOutput.Ids;
    private const string CodesFile = ModelOutput.Codes;
    private const string CodebookFile = ModelOutput.Codebook;
    private const string CompactInfoFile = ModelOutput.CompactInfo;

    private sealed record CompactInfo(
        [property: JsonPropertyName("items")] int Items,
        [property: JsonPropertyName("dim")] int Dim,
        [property: JsonPropertyName("groups")] int Groups,
        [property: JsonPropertyName("centroids")] int Centroids,
        [property: JsonPropertyName("codes")] string Codes,
        [property: JsonPropertyName("codebook")] string Codebook);

    public static void WriteCompact(string directory, ProductQuantizer pq, byte[] codes)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, CodesFile), codes);
        File.WriteAllBytes(Path.Combine(directory, CodebookFile), MemoryMarshal.AsBytes(pq.Codebook.AsSpan()).ToArray());
        File.WriteAllText(Path.Combine(directory, CompactInfoFile), JsonSerializer.Serialize(
            new CompactInfo(codes.Length / pq.Groups, pq.Dim, pq.Groups, pq.Centroids, CodesFile, CodebookFile), new JsonSerializerOptions { WriteIndented = true }));
    }

    public static (ProductQuantizer Quantizer, byte[] Codes, string[] Keys) ReadCompact(string directory)
    {
        var info = JsonSerializer.Deserialize<CompactInfo>(File.ReadAllText(Path.Combine(directory, CompactInfoFile)))
                   ?? throw new InvalidDataException($"{CompactInfoFile} is empty");
        var keys = File.ReadAllLines(Path.Combine(directory, IdsFile));
        var codes = File.ReadAllBytes(Path.Combine(directory, CodesFile));
        if (codes.Length != (long)info.Items * info.Groups || keys.Length != info.Items)
            throw new InvalidDataException($"{CodesFile} holds {codes.Length} bytes and {IdsFile} {keys.Length} keys; {CompactInfoFile} says {info.Items} items × {info.Groups} codes");
        var codebook = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(directory, CodebookFile))).ToArray();
        return (new ProductQuantizer(info.Groups, info.Centroids, info.Dim, codebook), codes, keys);
    }

    public static void Write(string directory, Tensor embeddings, IReadOnlyList<string> keys)
    {
        if (embeddings.shape[0] != keys.Count) throw new ArgumentException("one key per embedding row is required");
        Directory.CreateDirectory(directory);
        float[] values;
        using (NewDisposeScope()) // owned temporaries (README, "Native memory safety"): each result of the chain is read by the next call
            values = embeddings.cpu().contiguous().to(ScalarType.Float32).data<float>().ToArray();
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("items.f32 is little-endian");
        using (var f = File.Create(Path.Combine(directory, VectorsFile)))
            f.Write(MemoryMarshal.AsBytes(values.AsSpan()));
        File.WriteAllLines(Path.Combine(directory, IdsFile), keys);
    }

    public static (float[] Vectors, int Dim, string[] Keys) Read(string directory)
    {
        var keys = File.ReadAllLines(Path.Combine(directory, IdsFile));
        var bytes = File.ReadAllBytes(Path.Combine(directory, VectorsFile));
        var vectors = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        var dim = keys.Length == 0 ? 0 : vectors.Length / keys.Length;
        if (dim * keys.Length != vectors.Length) throw new InvalidDataException($"{VectorsFile} does not hold {keys.Length} equal rows");
        return (vectors, dim, keys);
    }
}
