using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SslRec.Core.Options;

/// <summary>
/// The training options a retrain may set, as they travel in a retrain message ({"alpha": 0.3, "ssl":
/// "none"}: <see cref="TrainingOptions"/> property names, any case). Checked where the message enters — the
/// CLI before it sends, the retrain stage before it starts a run — so a bad override fails at once with
/// the field's name, and never reaches the GPU job.
/// </summary>
public static class TrainingOverrides
{
    /// <summary>Options that belong to the pipeline, not to a retrain (set by app settings, or internal).</summary>
    private static readonly HashSet<string> NotSettable = new(StringComparer.OrdinalIgnoreCase) { nameof(TrainingOptions.CheckpointEvery), nameof(TrainingOptions.MaxSteps) };

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private static readonly Dictionary<string, PropertyInfo> Settable = typeof(TrainingOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && !NotSettable.Contains(p.Name))
        .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    public static IEnumerable<string> Names => Settable.Keys.Order(StringComparer.Ordinal);

    /// <summary>The defaults with the overrides applied and validated; errors name the override.</summary>
    /// <exception cref="ArgumentException">an unknown option, a value of the wrong type, or a combination <see cref="TrainingOptions.Validate"/> refuses</exception>
    public static TrainingOptions Apply(TrainingOptions defaults, JsonObject? overrides)
    {
        if (overrides is null || overrides.Count == 0) return defaults;
        var json = JsonSerializer.SerializeToNode(defaults, Json)!.AsObject();
        foreach (var (key, value) in overrides)
        {
            if (!Settable.TryGetValue(key, out var property))
                throw new ArgumentException($"training override '{key}': not an option a retrain can set (options: {string.Join(", ", Names)})");
            try
            {
                JsonSerializer.Deserialize(value?.ToJsonString() ?? "null", property.PropertyType, Json);
            }
            catch (JsonException)
            {
                throw new ArgumentException($"training override '{key}': {value?.ToJsonString() ?? "null"} is not a valid {Describe(property.PropertyType)}");
            }
            json[property.Name] = value?.DeepClone();
        }
        var options = json.Deserialize<TrainingOptions>(Json) ?? defaults;
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

    private static string Describe(Type t) =>
        t.IsEnum ? $"{t.Name} ({string.Join(", ", Enum.GetNames(t).Select(n => n.ToLowerInvariant()))})"
        : t == typeof(double) ? "number" : t == typeof(int) || t == typeof(long) ? "whole number" : t == typeof(bool) ? "true/false"
        : t.IsArray ? $"array of {Describe(t.GetElementType()!)}" : t.Name;
}
