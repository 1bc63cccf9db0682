using System.Globalization;
using System.Text;
using System.Text.Json;
using SslRec.Core.Artifacts;
using SslRec.Core.Data;
using SslRec.Core.Options;
using SslRec.Training.Evaluation;
using SslRec.Training.Export;
using SslRec.Training.Loop;
using static TorchSharp.torch;

namespace SslRec.Training.Diagnostics;

/// <summary>
/// One cycle of everything SslRec does with torch outside a training step, for the forced-collection
/// stress (`bench/gc-stress.sh --gc compacting`, TensorLifetimeTests): a training worker's run
/// (train, encode the corpus, product-quantize, evaluate against both, write every output: embeddings,
/// the bundle, the query tower, the report's plots), the publish gate's same-data recall (a new model warm-started from that bundle), a
/// query encoded with the published query tower and ranked, a DPQ run warm-started from the first model
/// and its compact tables read back. Returns a fingerprint of every result (times left out), so a cycle
/// run under <see cref="GcPressure"/> can be compared with a calm one.
/// </summary>
public static class GcCycle
{
    public static string Run(EncodedDataset data, string directory, int steps = 40)
    {
        var small = new TrainingOptions
        {
            BatchSize = 256, SslBatchSize = 128, EmbeddingDim = 16, Hidden = [64], OutputDim = 32, Epochs = 1000,
            MaxSteps = steps, CheckpointEvery = 0, Seed = 7,
        };
        var fingerprint = new StringBuilder();
        void Add(string name, object value) => fingerprint.Append(name).Append('=').Append(JsonSerializer.Serialize(value)).Append('\n');

        var full = Path.Combine(directory, "full");
        var first = TrainJob.TrainAndEvaluate(data, small, CPU, new TrainingRun { Checkpoints = new LocalCheckpointStore(Path.Combine(full, ModelOutput.CheckpointsFolder)) }, ModelOutput.Local(full));
        Add("recall", first.Recall);
        Add("compact_items", first.CompactItems!);
        Add("final_loss", first.FinalLoss!);
        Add("embedding_bytes", first.EmbeddingBytes!);

        Add("same_data_recall", SameDataRecall.Compute(data, Path.Combine(full, ModelOutput.ModelFolder), CPU, maxEvalQueries: 0));

        using var encoder = QueryEncoder.Load(Path.Combine(full, ModelOutput.QueryTowerFolder));
        var query = encoder.Encode(new Dictionary<string, string> { [data.Schema.Query[0].Name] = data.Vocabularies[0].Values[0] });
        var (vectors, dim, _) = EmbeddingFiles.Read(Path.Combine(full, ModelOutput.EmbeddingsFolder));
        Add("query", query);
        Add("top10", QueryEncoder.TopK(vectors, dim, query, 10).Select(t => $"{t.Index}:{t.Score.ToString("R", CultureInfo.InvariantCulture)}"));

        var dpqDirectory = Path.Combine(directory, "dpq");
        var dpq = small with { Embedding = EmbeddingKind.Dpq, DpqGroups = 4, DpqCentroids = 16 };
        var second = TrainJob.TrainAndEvaluate(data, dpq, CPU, new TrainingRun
        {
            Checkpoints = new LocalCheckpointStore(Path.Combine(dpqDirectory, ModelOutput.CheckpointsFolder)), WarmStartFrom = Path.Combine(full, ModelOutput.ModelFolder),
        }, ModelOutput.Local(dpqDirectory));
        Add("dpq_recall", second.Recall);
        Add("dpq_final_loss", second.FinalLoss!);
        foreach (var feature in data.Schema.Item)
        {
            using var scope = NewDisposeScope();
            if (!File.Exists(Path.Combine(dpqDirectory, ModelOutput.ModelFolder, CompactTables.Folder, feature.Name + ".codes"))) continue;
            var table = CompactTables.Read(Path.Combine(dpqDirectory, ModelOutput.ModelFolder), feature.Name);
            Add($"compact_table_{feature.Name}", table.sum().item<float>());
        }
        return fingerprint.ToString();
    }
}
