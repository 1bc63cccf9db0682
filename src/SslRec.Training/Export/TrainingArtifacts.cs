using SslRec.Core.Artifacts;
using SslRec.Core.Data;
using SslRec.Core.Statistics;
using SslRec.Training.Evaluation;

namespace SslRec.Training.Export;

/// <summary>
/// Everything a trained and evaluated model leaves behind, the same for `sslrec train --out` and a
/// pipeline run's candidate, written through <see cref="ModelOutput"/> (which places and records each
/// file). A new published file is one line here (and its name in ModelOutput when others read it).
/// </summary>
public static class TrainingArtifacts
{
    public static void Write(ModelOutput output, EncodedDataset data, TrainedModel trained, EvaluatedModel evaluated, ItemFeatureStatistics items)
    {
        output.WriteFeatureMutualInformation(items);
        output.WriteLosses(trained.State.Losses);
        output.WriteFiles([ModelOutput.Vectors, ModelOutput.Ids], folder => EmbeddingFiles.Write(folder, evaluated.ItemEmbeddings, data.ItemKeys));
        if (evaluated.Compact is { } compact)
            output.WriteFiles([ModelOutput.Codes, ModelOutput.Codebook, ModelOutput.CompactInfo], folder => EmbeddingFiles.WriteCompact(folder, compact.Quantizer, compact.Codes));
        output.WriteFolder(ModelOutput.ModelFolder, folder => ModelBundle.Save(folder, data, trained.Options, trained.Model));
        output.WriteFolder(ModelOutput.QueryTowerFolder, folder => ModelBundle.SaveQueryTower(folder, data, trained.Options, trained.Model));
        output.WriteText(ModelOutput.Report, TrainingReport.Markdown(evaluated.Metrics, trained.Options));
        output.Write(ModelOutput.LossPlot, path => ReportPlots.LossCurve(path, trained.State.Losses));
        output.Write(ModelOutput.RecallPlot, path => ReportPlots.RecallBars(path, evaluated.Metrics));
        output.WriteMetrics(evaluated.Metrics); // last: its presence says the output is complete
    }
}
