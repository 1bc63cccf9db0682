using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace SslRec.Training.Export;

/// <summary>Published item embeddings: items.f32 (row-major float32, little-endian) and ids.txt (one key per row).</summary>
public static class EmbeddingFiles
{
    public const string VectorsFile = "items.f32";
    public const string IdsFile = "ids.txt";

    public static void Write(string directory, Tensor embeddings, IReadOnlyList<string> keys)
    {
        if (embeddings.shape[0] != keys.Count) throw new ArgumentException("one key per embedding row is required");
        Directory.CreateDirectory(directory);
        var values = embeddings.cpu().contiguous().to(ScalarType.Float32).data<float>().ToArray();
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
