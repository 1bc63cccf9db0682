namespace SslRec.Core.Checkpoints;

/// <summary>
/// Where training checkpoints live: a local folder for `sslrec train`, blob storage in the pipeline.
/// A checkpoint is one opaque stream; the store only orders them by step.
/// </summary>
public interface ICheckpointStore
{
    void Save(int step, Action<Stream> write);
    /// <summary>Opens the checkpoint with the highest step, or returns null when there is none.</summary>
    Stream? OpenLatest(out int step);
}
