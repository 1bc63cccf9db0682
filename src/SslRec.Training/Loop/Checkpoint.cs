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
///
/// Formats, named by the magic: "SSLRECK1" (format 1) — state, weights, the dense optimizer's state over
/// every parameter; a training whose embedding tables are updated densely still writes exactly this, so
/// such checkpoints read either way. "SSLRECK2" (format 2) — the same, where the dense optimizer holds only
/// the tower layers (and DPQ/MGQE codebooks), followed by the row-wise embedding optimizer's section
/// (<see cref="RowWiseOptimizer.Save"/>). A checkpoint of the other format is refused with what to do.
/// </summary>
public static class Checkpoint
{
    private static readonly byte[] Format1 = "SSLRECK1"u8.ToArray();
    private static readonly byte[] Format2 = "SSLRECK2"u8.ToArray();

    public static void Write(Stream stream, TrainingState state, TwoTowerModel model, TorchSharp.Modules.OptimizerHelper optimizer,
        RowWiseOptimizer? rowWise = null)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(rowWise is null ? Format1 : Format2);
        var json = JsonSerializer.SerializeToUtf8Bytes(state);
        writer.Write(json.Length);
        writer.Write(json);
        model.save(writer);
        optimizer.save_state_dict(writer);
        rowWise?.Save(writer);
    }

    /// <summary>
    /// Reads the training state, lets <paramref name="accept"/> refuse it (by throwing) before anything is
    /// loaded, then loads weights and optimizer state into the given objects and returns the state.
    /// </summary>
    public static TrainingState Read(Stream stream, TwoTowerModel model, TorchSharp.Modules.OptimizerHelper optimizer,
        RowWiseOptimizer? rowWise = null, Action<TrainingState>? accept = null)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        var magic = reader.ReadBytes(Format1.Length);
        var format = magic.AsSpan().SequenceEqual(Format1) ? 1 : magic.AsSpan().SequenceEqual(Format2) ? 2 : 0;
        if (format == 0)
            throw new InvalidDataException(magic.AsSpan().StartsWith("SSLRECK"u8)
                ? $"checkpoint format '{Encoding.ASCII.GetString(magic)}' is newer than this SslRec reads (1 and 2); resume with the SslRec that wrote it"
                : "not an SslRec checkpoint");
        var length = reader.ReadInt32();
        var state = JsonSerializer.Deserialize<TrainingState>(reader.ReadBytes(length)) ?? throw new InvalidDataException("empty checkpoint state");
        if (format == 1 && rowWise is not null)
            throw new InvalidOperationException("the checkpoint (format 1) was written by a training with dense embedding updates; resume it with --embedding-optimizer dense, or train into a new output folder");
        if (format == 2 && rowWise is null)
            throw new InvalidOperationException("the checkpoint (format 2) holds row-wise embedding optimizer state; resume it with the --embedding-optimizer it was written with, or train into a new output folder");
        accept?.Invoke(state);
        model.load(reader);
        optimizer.load_state_dict(reader);
        rowWise?.Load(reader);
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
