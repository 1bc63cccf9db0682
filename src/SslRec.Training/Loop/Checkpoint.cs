using System.Text;
using System.Text.Json;
using SslRec.Core.Checkpoints;
using SslRec.Training.Model;
using TorchSharp;

namespace SslRec.Training.Loop;

/// <summary>
/// A checkpoint is one self-contained stream: magic, training state (JSON), model weights, optimizer
/// state. Writing goes to a temporary name and is renamed into place, so a crash never leaves a
/// half-written checkpoint where resume would find it.
/// </summary>
public static class Checkpoint
{
    private static readonly byte[] Magic = "SSLRECK1"u8.ToArray();

    public static void Write(Stream stream, TrainingState state, TwoTowerModel model, TorchSharp.Modules.OptimizerHelper optimizer)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        var json = JsonSerializer.SerializeToUtf8Bytes(state);
        writer.Write(json.Length);
        writer.Write(json);
        model.save(writer);
        optimizer.save_state_dict(writer);
    }

    /// <summary>Loads weights and optimizer state into the given objects and returns the training state.</summary>
    public static TrainingState Read(Stream stream, TwoTowerModel model, TorchSharp.Modules.OptimizerHelper optimizer)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic)) throw new InvalidDataException("not an SslRec checkpoint");
        var length = reader.ReadInt32();
        var state = JsonSerializer.Deserialize<TrainingState>(reader.ReadBytes(length)) ?? throw new InvalidDataException("empty checkpoint state");
        model.load(reader);
        optimizer.load_state_dict(reader);
        return state;
    }
}

/// <summary>Checkpoints as files ckpt-{step}.bin in a folder; keeps the newest <paramref name="keep"/>.</summary>
public sealed class LocalCheckpointStore(string directory, int keep = 2) : ICheckpointStore
{
    public string Directory { get; } = directory;

    public void Save(int step, Action<Stream> write)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, $"ckpt-{step:D9}.bin");
        var temp = path + ".tmp";
        using (var f = File.Create(temp)) write(f);
        File.Move(temp, path, overwrite: true);
        foreach (var old in List().SkipLast(keep)) File.Delete(old.Path);
    }

    public Stream? OpenLatest(out int step)
    {
        var latest = List().LastOrDefault();
        step = latest.Step;
        return latest.Path is null ? null : File.OpenRead(latest.Path);
    }

    private List<(int Step, string Path)> List()
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        return System.IO.Directory.EnumerateFiles(Directory, "ckpt-*.bin")
            .Select(p => (Step: int.TryParse(Path.GetFileNameWithoutExtension(p)[5..], out var s) ? s : -1, Path: p))
            .Where(c => c.Step >= 0).OrderBy(c => c.Step).ToList();
    }
}
