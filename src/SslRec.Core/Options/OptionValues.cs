using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SslRec.Core.Options;

/// <summary>
/// Reads a training option's value from what a user gave — a JSON value in a retrain message, or the text
/// typed after a CLI flag or in `--set name=value` — the same way for every entry point: numbers from JSON
/// numbers or from text ("1e3", "0.3"), lists from JSON arrays or "a,b,c", enums by name in any case.
/// </summary>
public static class OptionValues
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    /// <summary>A value of the option's property type.</summary>
    /// <exception cref="ArgumentException">"… is not a valid whole number" (no option name: the caller says where it came from), or the option's range refusal for NaN, infinities and numbers beyond int</exception>
    public static object Parse(OptionDescriptor option, JsonNode? value)
    {
        if (!option.IsList) return Scalar(option, value, value);
        var items = value switch
        {
            JsonArray a => a.Select(v => v?.DeepClone()).ToList(),
            JsonValue v when v.TryGetValue<string>(out var text) => text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(t => (JsonNode?)JsonValue.Create(t)).ToList(),
            JsonValue v => [v.DeepClone()],
            _ => throw Invalid(value, Describe(option)),
        };
        var array = Array.CreateInstance(option.ElementType, items.Count);
        for (var i = 0; i < items.Count; i++) array.SetValue(Scalar(option, items[i], value), i);
        return array;
    }

    /// <summary>The value typed as a user would type it after the option's flag ("256,128", "none", "1e3").</summary>
    public static object Parse(OptionDescriptor option, string text) => Parse(option, JsonValue.Create(text.Trim()));

    /// <summary>A parsed value as typed JSON, as a retrain message carries it (enums by name, lists as arrays).</summary>
    public static JsonNode ToJson(OptionDescriptor option, object value) => JsonSerializer.SerializeToNode(value, option.Property.PropertyType, Json)!;

    private static object Scalar(OptionDescriptor option, JsonNode? item, JsonNode? whole)
    {
        var type = option.ElementType;
        if (type.IsEnum)
            return item is JsonValue e && e.TryGetValue<string>(out var name) && Enum.TryParse(type, name.Trim(), ignoreCase: true, out var parsed) && Enum.IsDefined(type, parsed!)
                ? parsed!
                : throw Invalid(whole, Describe(type));
        if (type == typeof(ulong))
            return item is JsonValue u && (u.TryGetValue<ulong>(out var n) || (u.TryGetValue<string>(out var t) && ulong.TryParse(t.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out n)))
                ? n
                : throw Invalid(whole, Describe(type));
        if (type != typeof(int) && type != typeof(double)) throw Invalid(whole, Describe(type));

        if (!TryNumber(item, out var d)) throw Invalid(whole, Describe(type));
        // NaN, infinities and values beyond int are refused with the option's range, not a parser's message.
        if (!double.IsFinite(d) || (type == typeof(int) && (d < int.MinValue || d > int.MaxValue)))
            throw new ArgumentException(option.Range?.Refusal(d) ?? $"{Text(whole)} is not a valid {Describe(type)}");
        if (type == typeof(double)) return d;
        return d == Math.Floor(d) ? (int)d : throw Invalid(whole, Describe(type));
    }

    /// <summary>A JSON number, or text that is one ("1e3", "0.3", "NaN"); no thousands separators, so "256,128" is never 256128.</summary>
    private static bool TryNumber(JsonNode? node, out double d)
    {
        d = 0;
        if (node is not JsonValue v) return false;
        if (v.GetValueKind() == JsonValueKind.Number) return v.TryGetValue(out d) || double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out d);
        return v.TryGetValue<string>(out var text) && double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out d);
    }

    private static ArgumentException Invalid(JsonNode? value, string expected) => new($"{Text(value)} is not a valid {expected}");

    private static string Text(JsonNode? value) => value?.ToJsonString() ?? "null";

    private static string Describe(OptionDescriptor option) => option.IsList ? $"list of {Describe(option.ElementType)}s (JSON array or comma-separated)" : Describe(option.ElementType);

    private static string Describe(Type t) =>
        t.IsEnum ? $"{t.Name} ({string.Join(", ", Enum.GetNames(t).Select(n => n.ToLowerInvariant()))})"
        : t == typeof(double) ? "number" : t == typeof(int) || t == typeof(long) || t == typeof(ulong) ? "whole number" : t.Name;
}
