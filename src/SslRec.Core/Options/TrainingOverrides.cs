using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SslRec.Core.Options;

/// <summary>
/// The training options a retrain may set, as they travel in a retrain message ({"alpha": 0.3, "ssl":
/// "none", "batch_size": 512}). A name may be spelt as the CLI does (batch-size, --batch-size), as
/// metrics.json does (batch_size) or as the property (BatchSize), in any case (<see cref="OptionNames"/>); a
/// value may be a JSON value or the text a user typed ("1e3", "256,128" for a list). Checked where the
/// message enters — the CLI before it sends, the retrain stage before it starts a run — against the same
/// <see cref="TrainingOptions.Validate"/> as `sslrec train`, so a bad override fails at once with the
/// option's name and the reason, and never reaches the GPU job.
/// </summary>
public static class TrainingOverrides
{
    /// <summary>Options that belong to the pipeline, not to a retrain (set by app settings, or internal).</summary>
    private static readonly HashSet<string> NotSettable = new(StringComparer.Ordinal) { nameof(TrainingOptions.CheckpointEvery), nameof(TrainingOptions.MaxSteps) };

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private static readonly Dictionary<string, PropertyInfo> Settable = typeof(TrainingOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && !NotSettable.Contains(p.Name))
        .ToDictionary(p => p.Name, StringComparer.Ordinal);

    /// <summary>The settable options as the CLI spells them (alpha, batch-size, lr, …).</summary>
    public static IEnumerable<string> Names => Settable.Keys.Select(OptionNames.Cli).Order(StringComparer.Ordinal);

    /// <summary>
    /// One `--set name=value` of `sslrec retrain`: the option's name as a message carries it (snake_case)
    /// and its value as typed JSON, so the message says what will be trained.
    /// </summary>
    /// <exception cref="ArgumentException">not name=value, an unknown option, or a value that is not one of the option's type</exception>
    public static (string Name, JsonNode Value) ParseAssignment(string text)
    {
        var eq = text.IndexOf('=');
        if (eq <= 0) throw new ArgumentException($"--set '{text}': expected name=value, e.g. --set batch-size=512");
        var key = text[..eq].Trim();
        var property = Property(key);
        return (OptionNames.Json(property.Name), Value(property, key, JsonValue.Create(text[(eq + 1)..].Trim())));
    }

    /// <summary>The defaults with the overrides applied and validated; errors name the override.</summary>
    /// <exception cref="ArgumentException">an unknown option, a value of the wrong type, a value out of range, or a combination <see cref="TrainingOptions.Validate"/> refuses</exception>
    public static TrainingOptions Apply(TrainingOptions defaults, JsonObject? overrides)
    {
        if (overrides is null || overrides.Count == 0) return defaults;
        var json = JsonSerializer.SerializeToNode(defaults, Json)!.AsObject();
        var setBy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in overrides)
        {
            var property = Property(key);
            if (!setBy.TryAdd(property.Name, key))
                throw new ArgumentException($"training override '{key}': {OptionNames.Flag(property.Name)} is already set by '{setBy[property.Name]}'");
            json[property.Name] = Value(property, key, value);
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

    private static PropertyInfo Property(string key) =>
        OptionNames.Resolve(key, Settable)
        ?? throw new ArgumentException($"training override '{key}': not an option a retrain can set (options: {string.Join(", ", Names)})");

    /// <summary>The value as JSON of the property's type: numbers from JSON numbers or from text, lists from arrays or "a,b,c".</summary>
    private static JsonNode Value(PropertyInfo property, string key, JsonNode? value)
    {
        var type = property.PropertyType;
        if (type.IsArray)
        {
            var element = type.GetElementType()!;
            var items = value switch
            {
                JsonArray a => a.Select(v => (JsonNode?)v?.DeepClone()).ToList(),
                JsonValue v when v.TryGetValue<string>(out var text) => text.Split(',', StringSplitOptions.TrimEntries).Select(t => (JsonNode?)JsonValue.Create(t)).ToList(),
                JsonValue v => [v.DeepClone()],
                _ => throw Invalid(key, value, type),
            };
            return new JsonArray(items.Select(i => Scalar(property.Name, element, key, i, value)).ToArray());
        }
        return Scalar(property.Name, type, key, value, value);
    }

    private static JsonNode Scalar(string property, Type type, string key, JsonNode? item, JsonNode? whole)
    {
        if (type.IsEnum)
            return item is JsonValue e && e.TryGetValue<string>(out var name) && Enum.TryParse(type, name.Trim(), ignoreCase: true, out var parsed) && Enum.IsDefined(type, parsed!)
                ? JsonValue.Create(parsed!.ToString())!
                : throw Invalid(key, whole, type);
        if (type == typeof(ulong))
            return item is JsonValue u && (u.TryGetValue<ulong>(out var n) || (u.TryGetValue<string>(out var t) && ulong.TryParse(t.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out n)))
                ? JsonValue.Create(n)
                : throw Invalid(key, whole, type);
        if (type != typeof(int) && type != typeof(double)) throw Invalid(key, whole, type);

        if (!TryNumber(item, out var d)) throw Invalid(key, whole, type);
        var range = OptionLimits.For(property);
        // NaN, infinities and values beyond int are refused with the option's range, not a parser's message.
        if (!double.IsFinite(d) || (type == typeof(int) && (d < int.MinValue || d > int.MaxValue)))
            throw new ArgumentException($"training override '{key}': " + (range?.Refusal(d) ?? $"{Text(whole)} is not a valid {Describe(type)}"));
        if (type == typeof(double)) return JsonValue.Create(d);
        return d == Math.Floor(d) ? JsonValue.Create((int)d) : throw Invalid(key, whole, type);
    }

    /// <summary>A JSON number, or text that is one ("1e3", "0.3", "NaN"); no thousands separators, so "256,128" is never 256128.</summary>
    private static bool TryNumber(JsonNode? node, out double d)
    {
        d = 0;
        if (node is not JsonValue v) return false;
        if (v.GetValueKind() == JsonValueKind.Number) return v.TryGetValue(out d) || double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out d);
        return v.TryGetValue<string>(out var text) && double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out d);
    }

    private static ArgumentException Invalid(string key, JsonNode? value, Type type) =>
        new($"training override '{key}': {Text(value)} is not a valid {Describe(type)}");

    private static string Text(JsonNode? value) => value?.ToJsonString() ?? "null";

    private static string Describe(Type t) =>
        t.IsEnum ? $"{t.Name} ({string.Join(", ", Enum.GetNames(t).Select(n => n.ToLowerInvariant()))})"
        : t == typeof(double) ? "number" : t == typeof(int) || t == typeof(long) || t == typeof(ulong) ? "whole number" : t == typeof(bool) ? "true/false"
        : t.IsArray ? $"list of {Describe(t.GetElementType()!)}s (JSON array or comma-separated)" : t.Name;
}
