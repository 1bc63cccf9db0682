using System.Text.Json.Nodes;

namespace SslRec.Core.Options;

/// <summary>
/// The training options a retrain may set, as they travel in a retrain message ({"alpha": 0.3, "ssl":
/// "none", "batch_size": 512}). A name may be spelt as the CLI does (batch-size, --batch-size), as
/// metrics.json does (batch_size) or as the property (BatchSize), in any case (<see cref="OptionDescriptor.IsNamedBy"/>);
/// a value may be a JSON value or the text a user typed ("1e3", "256,128" for a list; <see cref="OptionValues"/>).
/// Checked where the message enters — the CLI before it sends, the retrain stage before it starts a run —
/// against the same <see cref="TrainingOptions.Validate"/> as `sslrec train`, so a bad override fails at once
/// with the option's name and the reason, and never reaches the GPU job.
/// </summary>
public static class TrainingOverrides
{
    /// <summary>The settable options as the CLI spells them (alpha, batch-size, lr, …).</summary>
    public static IEnumerable<string> Names => TrainingOptionDescriptors.RetrainSettable.Select(o => o.Name).Order(StringComparer.Ordinal);

    /// <summary>
    /// One `--set name=value` of `sslrec retrain`: the option's name as a message carries it (its metrics.json
    /// key) and its value as typed JSON, so the message says what will be trained.
    /// </summary>
    /// <exception cref="ArgumentException">not name=value, an unknown option, or a value that is not one of the option's type</exception>
    public static (string Name, JsonNode Value) ParseAssignment(string text)
    {
        var eq = text.IndexOf('=');
        if (eq <= 0) throw new ArgumentException($"--set '{text}': expected name=value, e.g. --set batch-size=512");
        var key = text[..eq].Trim();
        var option = Option(key);
        return (option.JsonName, OptionValues.ToJson(option, Value(option, key, JsonValue.Create(text[(eq + 1)..].Trim()))));
    }

    /// <summary>The defaults with the overrides applied and validated; errors name the override.</summary>
    /// <exception cref="ArgumentException">an unknown option, a value of the wrong type, a value out of range, or a combination <see cref="TrainingOptions.Validate"/> refuses</exception>
    public static TrainingOptions Apply(TrainingOptions defaults, JsonObject? overrides)
    {
        if (overrides is null || overrides.Count == 0) return defaults;
        var options = defaults;
        var setBy = new Dictionary<OptionDescriptor, string>();
        foreach (var (key, value) in overrides)
        {
            var option = Option(key);
            if (!setBy.TryAdd(option, key))
                throw new ArgumentException($"training override '{key}': {option.Flag} is already set by '{setBy[option]}'");
            options = option.With(options, Value(option, key, value));
        }
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"training overrides {overrides.ToJsonString()}: {e.Message}", e);
        }
        return options;
    }

    private static OptionDescriptor Option(string key) =>
        TrainingOptionDescriptors.Find(key) is { RetrainCanSet: true } option ? option
        : throw new ArgumentException($"training override '{key}': not an option a retrain can set (options: {string.Join(", ", Names)})");

    private static object Value(OptionDescriptor option, string key, JsonNode? value)
    {
        try
        {
            return OptionValues.Parse(option, value);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"training override '{key}': {e.Message}", e);
        }
    }
}
