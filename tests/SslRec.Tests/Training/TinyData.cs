using SslRec.Core.Data;
using SslRec.Core.Options;
using SslRec.Core.Synthetic;
using SslRec.Training;

namespace SslRec.Tests.Training;

/// <summary>A small generated dataset and model settings that train in seconds on 2 cores.</summary>
public static class TinyData
{
    private static readonly Lazy<(TempDirectory Dir, EncodedDataset Data)> Shared = new(() =>
    {
        var dir = new TempDirectory();
        SyntheticGenerator.Generate(dir.Path, new SyntheticOptions { Interactions = 6000, Items = 200, Seed = 11 });
        return (dir, DatasetEncoder.Read(dir.Path));
    });

    /// <summary>The same data read in about six parts (byte ranges), as the pipeline's map shards would be.</summary>
    private static readonly Lazy<EncodedDataset> InParts = new(() =>
    {
        var bytes = new FileInfo(Path.Combine(Shared.Value.Dir.Path, "interactions.csv")).Length;
        return DatasetEncoder.Read(Shared.Value.Dir.Path, new DatasetReadOptions { ShardTargetBytes = bytes / 6 + 1, Threads = 2 });
    });

    public static string Directory => Shared.Value.Dir.Path;
    public static EncodedDataset Parts => InParts.Value;
    public static EncodedDataset Data => Shared.Value.Data;

    public static TrainingOptions Options => new()
    {
        Ssl = SslMode.Cfm, Alpha = 0.3, BatchSize = 256, SslBatchSize = 128, Epochs = 3,
        EmbeddingDim = 8, Hidden = [32], OutputDim = 16, LearningRate = 0.01, Seed = 5, CheckpointEvery = 0,
    };
}
