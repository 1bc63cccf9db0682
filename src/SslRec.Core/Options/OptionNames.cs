using System.Reflection;
using System.Text;

namespace SslRec.Core.Options;

/// <summary>
/// How users spell a training option. `sslrec train` takes `--batch-size`, metrics.json says `batch_size`,
/// and the property is BatchSize: a retrain override may use any of these (and `--batch-size`), so what a
/// user reads in one place works in the other. Three options keep a shorter CLI name (`--lr`, `--dropout`, `--embedding-lr`).
/// </summary>
public static class OptionNames
{
    /// <summary>CLI names that are not the property name in kebab case.</summary>
    private static readonly Dictionary<string, string> CliAliases = new(StringComparer.Ordinal)
    {
        [nameof(TrainingOptions.LearningRate)] = "lr",
        [nameof(TrainingOptions.DropoutRate)] = "dropout",
        [nameof(TrainingOptions.EmbeddingLearningRate)] = "embedding-lr",
    };

    /// <summary>The CLI's name of a property, without dashes: BatchSize → batch-size, LearningRate → lr.</summary>
    public static string Cli(string property) => CliAliases.TryGetValue(property, out var alias) ? alias : Kebab(property);

    /// <summary>The name a retrain message carries for a property, as metrics.json spells options: batch_size, learning_rate.</summary>
    public static string Json(string property) => Kebab(property).Replace('-', '_');

    /// <summary>The CLI flag of a property: --batch-size.</summary>
    public static string Flag(string property) => "--" + Cli(property);

    /// <summary>
    /// The property a user's spelling names, or null: case, leading dashes, '-' and '_' do not matter, and the
    /// CLI's aliases count (lr, learning_rate, LearningRate and --lr all name LearningRate).
    /// </summary>
    public static PropertyInfo? Resolve(string spelling, IReadOnlyDictionary<string, PropertyInfo> properties)
    {
        var key = Normalize(spelling);
        if (key.Length == 0) return null;
        foreach (var (name, property) in properties)
            if (Normalize(name) == key || (CliAliases.TryGetValue(name, out var alias) && Normalize(alias) == key))
                return property;
        return null;
    }

    private static string Normalize(string s) =>
        new(s.TrimStart('-').Where(c => c is not ('-' or '_')).Select(char.ToLowerInvariant).ToArray());

    private static string Kebab(string pascal)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < pascal.Length; i++)
        {
            if (char.IsUpper(pascal[i]) && i > 0) sb.Append('-');
            sb.Append(char.ToLowerInvariant(pascal[i]));
        }
        return sb.ToString();
    }
}
