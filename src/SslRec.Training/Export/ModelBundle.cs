using System.Text.Json;
using SslRec.Core.Data;
using SslRec.Core.Options;
using SslRec.Core.Schema;
using SslRec.Core.Vocab;
using SslRec.Training.Model;

namespace SslRec.Training.Export;

/// <summary>
/// Everything needed to encode queries and items later without the training data: the schema, the
/// training options (layer sizes), one vocabulary per feature and the weights of both towers.
/// Layout: schema.json, options.json, vocab/{index}-{feature}.json, weights.bin.
/// </summary>
public static class ModelBundle
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void Save(string directory, EncodedDataset data, TrainingOptions options, TwoTowerModel model)
    {
        Directory.CreateDirectory(Path.Combine(directory, "vocab"));
        File.WriteAllText(Path.Combine(directory, "schema.json"), data.Schema.ToJson());
        File.WriteAllText(Path.Combine(directory, "options.json"), JsonSerializer.Serialize(options, Json));
        for (var i = 0; i < data.Vocabularies.Count; i++)
        {
            using var f = File.Create(VocabPath(directory, i, data.Schema.All[i].Name));
            data.Vocabularies[i].Write(f);
        }
        model.save(Path.Combine(directory, "weights.bin"));
        CompactTables.Write(directory, model.ItemTower, data.Schema.Item);
    }

    public static (DatasetSchema Schema, TrainingOptions Options, IReadOnlyList<Vocabulary> Vocabularies, TwoTowerModel Model) Load(string directory)
    {
        var schema = DatasetSchema.Load(Path.Combine(directory, "schema.json"));
        var options = JsonSerializer.Deserialize<TrainingOptions>(File.ReadAllText(Path.Combine(directory, "options.json")))
                      ?? throw new InvalidDataException("empty options.json");
        var vocabularies = ReadVocabularies(directory, schema.All);
        // the embedding plans (which features are quantized, MGQE tiers) follow from the vocabularies and options
        var q = FeatureEmbeddingPlan.For(vocabularies.Take(schema.Query.Count), options);
        var it = FeatureEmbeddingPlan.For(vocabularies.Skip(schema.Query.Count), options);
        var model = new TwoTowerModel(q, it, options, TwoTowerModel.Ties(schema));
        model.load(Path.Combine(directory, "weights.bin"));
        return (schema, options, vocabularies, model);
    }

    /// <summary>
    /// The query tower alone, as published: schema, options, the query features' vocabularies and the
    /// tower's weights — all a service needs to turn a request's features into a query vector.
    /// </summary>
    public static void SaveQueryTower(string directory, EncodedDataset data, TrainingOptions options, TwoTowerModel model)
    {
        Directory.CreateDirectory(Path.Combine(directory, "vocab"));
        File.WriteAllText(Path.Combine(directory, "schema.json"), data.Schema.ToJson());
        File.WriteAllText(Path.Combine(directory, "options.json"), JsonSerializer.Serialize(options, Json));
        for (var i = 0; i < data.Schema.Query.Count; i++)
        {
            using var f = File.Create(VocabPath(directory, i, data.Schema.All[i].Name));
            data.Vocabularies[i].Write(f);
        }
        // A self-contained copy: tables the query tower shares with the item tower are stored in it too.
        using var standalone = new Tower("query", FeatureEmbeddingPlan.For(data.QueryVocabularies, options), options);
        standalone.CopyFrom(model.QueryTower);
        standalone.save(Path.Combine(directory, "weights.bin"));
        CompactTables.Write(directory, standalone, data.Schema.Query);
    }

    public static (DatasetSchema Schema, IReadOnlyList<Vocabulary> Vocabularies, Tower Tower) LoadQueryTower(string directory)
    {
        var schema = DatasetSchema.Load(Path.Combine(directory, "schema.json"));
        var options = JsonSerializer.Deserialize<TrainingOptions>(File.ReadAllText(Path.Combine(directory, "options.json")))
                      ?? throw new InvalidDataException("empty options.json");
        var vocabularies = ReadVocabularies(directory, schema.Query);
        var tower = new Tower("query", FeatureEmbeddingPlan.For(vocabularies, options), options);
        tower.load(Path.Combine(directory, "weights.bin"));
        tower.eval();
        return (schema, vocabularies, tower);
    }

    private static List<Vocabulary> ReadVocabularies(string directory, IReadOnlyList<FeatureSpec> features) =>
        features.Select((f, i) =>
        {
            using var s = File.OpenRead(VocabPath(directory, i, f.Name));
            return Vocabulary.Read(s);
        }).ToList();

    private static string VocabPath(string directory, int index, string feature) =>
        Path.Combine(directory, "vocab", $"{index:D2}-{string.Concat(feature.Select(c => char.IsLetterOrDigit(c) || c is '_' or '-' ? c : '_'))}.json");
}
