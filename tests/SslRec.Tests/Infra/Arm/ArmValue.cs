using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SslRec.Tests.Infra.Arm;

/// <summary>
/// A value whose properties are computed when read: a resource as `reference()` returns it, a deployment's
/// outputs. Reading one property never evaluates the others, so a check of one setting does not depend on
/// everything else in the resource being modelled.
/// </summary>
public interface ILazyObject
{
    object? Get(string name);
}

/// <summary>A `lambda('x', body)` argument of map/filter, with the scope it was written in.</summary>
public sealed record ArmLambda(IReadOnlyList<string> Parameters, Ast Body, Scope Scope);

/// <summary>
/// ARM values as plain .NET objects: string, long, double, bool, null, <see cref="List{T}"/> of values and
/// <see cref="Dictionary{TKey,TValue}"/> (property names compared as ARM does, ignoring case), plus
/// <see cref="ILazyObject"/>.
/// </summary>
public static class ArmValue
{
    public static Dictionary<string, object?> NewObject() => new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A template JSON value evaluated: "[...]" strings are expressions, objects and arrays are evaluated deeply.</summary>
    public static object? Evaluate(JsonNode? node, Scope scope)
    {
        switch (node)
        {
            case null: return null;
            case JsonValue v when v.TryGetValue<string>(out var s):
                if (ArmExpression.IsExpression(s)) return ArmFunctions.Evaluate(ArmExpression.Parse(s), scope);
                return s.StartsWith("[[", StringComparison.Ordinal) ? s[1..] : s;
            case JsonValue v when v.TryGetValue<bool>(out var b): return b;
            case JsonValue v when v.TryGetValue<long>(out var l): return l;
            case JsonValue v: return v.GetValue<double>();
            case JsonArray a: return a.Select(x => Evaluate(x, scope)).ToList();
            case JsonObject o:
                var result = NewObject();
                foreach (var (key, value) in o)
                {
                    if (key == "copy" && value is JsonArray loops)
                        foreach (var loop in loops.Select(l => l!.AsObject()))
                            result[(string)loop["name"]!] = CopyLoop(loop, scope);
                    else result[Text(Evaluate(JsonValue.Create(key), scope))] = Evaluate(value, scope);
                }
                return result;
            default: throw new ArmException($"unexpected JSON {node.ToJsonString()}");
        }
    }

    /// <summary>A property loop (`"copy": [{ "name", "count", "input" }]`, Bicep's `[for ...]` in a property).</summary>
    private static List<object?> CopyLoop(JsonObject loop, Scope scope)
    {
        var name = (string)loop["name"]!;
        var count = ToLong(Evaluate(loop["count"], scope));
        return Enumerable.Range(0, (int)count).Select(i => Evaluate(loop["input"], scope.WithCopy(name, i))).ToList();
    }

    /// <summary>
    /// A value at a path inside a template's JSON: walks the JSON as written and evaluates only what the path
    /// reaches (an expression met on the way is evaluated and the rest of the path read from its value).
    /// Null when the path does not exist.
    /// </summary>
    public static object? At(JsonNode? node, Scope scope, IEnumerable<string> path)
    {
        var rest = path.ToList();
        while (rest.Count > 0)
        {
            var key = rest[0];
            switch (node)
            {
                case JsonObject o when Property(o, key) is { } found:
                    node = found.Value;
                    rest.RemoveAt(0);
                    continue;
                case JsonObject o when o["copy"] is JsonArray loops && loops.FirstOrDefault(l => (string?)l?["name"] == key) is JsonObject loop:
                    return Path(CopyLoop(loop, scope), rest.Skip(1));
                case JsonObject:
                    return null;
                case JsonArray a when int.TryParse(key, out var i):
                    if (i >= a.Count) return null;
                    node = a[i];
                    rest.RemoveAt(0);
                    continue;
                case JsonValue:
                    return Path(Evaluate(node, scope), rest);
                default:
                    return null;
            }
        }
        return Evaluate(node, scope);
    }

    private static KeyValuePair<string, JsonNode?>? Property(JsonObject o, string key)
    {
        foreach (var p in o)
            if (string.Equals(p.Key, key, StringComparison.OrdinalIgnoreCase)) return p;
        return null;
    }

    /// <summary>A path inside an evaluated value; null when it does not exist.</summary>
    public static object? Path(object? value, IEnumerable<string> path)
    {
        foreach (var key in path)
        {
            value = value switch
            {
                Dictionary<string, object?> d => d.GetValueOrDefault(key),
                ILazyObject lazy => lazy.Get(key),
                List<object?> list when int.TryParse(key, out var i) => i < list.Count ? list[i] : null,
                _ => null,
            };
            if (value is null) return null;
        }
        return value;
    }

    public static long ToLong(object? v) => v switch
    {
        long l => l,
        double d when d == Math.Floor(d) => (long)d,
        string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
        _ => throw new ArmException($"expected an integer, got {Describe(v)}"),
    };

    /// <summary>How format(), concat() and string() write a value.</summary>
    public static string Text(object? v) => v switch
    {
        null => "",
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "True" : "False",
        _ => Describe(v),
    };

    /// <summary>A value as JSON, for messages and string() of objects.</summary>
    public static string Describe(object? v) => v switch
    {
        null => "null",
        string s => JsonSerializer.Serialize(s),
        bool b => b ? "true" : "false",
        long or double => Text(v),
        List<object?> list => "[" + string.Join(",", list.Select(Describe)) + "]",
        Dictionary<string, object?> d => "{" + string.Join(",", d.Select(p => JsonSerializer.Serialize(p.Key) + ":" + Describe(p.Value))) + "}",
        _ => v.ToString() ?? "?",
    };

    public static bool Same(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (long x, double y) => x == y,
        (double x, long y) => x == y,
        (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => Same(p.First, p.Second)),
        (Dictionary<string, object?> x, Dictionary<string, object?> y) =>
            x.Count == y.Count && x.All(p => y.TryGetValue(p.Key, out var other) && Same(p.Value, other)),
        _ => Equals(a, b),
    };
}

/// <summary>Where an expression is evaluated: its deployment, the copy-loop indices and lambda variables in force.</summary>
public sealed class Scope
{
    private readonly ImmutableDictionary<string, int> _copy;
    private readonly ImmutableDictionary<string, object?> _lambda;

    public Scope(Deployment deployment) : this(deployment, ImmutableDictionary<string, int>.Empty, ImmutableDictionary<string, object?>.Empty) { }

    private Scope(Deployment deployment, ImmutableDictionary<string, int> copy, ImmutableDictionary<string, object?> lambda)
    {
        Deployment = deployment;
        _copy = copy;
        _lambda = lambda;
    }

    public Deployment Deployment { get; }

    /// <summary>Inside a loop; <paramref name="resourceLoop"/>: the resource's own loop, which copyIndex() without a name reads.</summary>
    public Scope WithCopy(string loop, int index, bool resourceLoop = false)
    {
        var copy = _copy.SetItem(loop, index);
        return new Scope(Deployment, resourceLoop ? copy.SetItem("", index) : copy, _lambda);
    }

    public Scope WithLambda(string name, object? value) => new(Deployment, _copy, _lambda.SetItem(name, value));

    public int CopyIndex(string? loop) =>
        _copy.TryGetValue(loop ?? "", out var i) ? i : throw new ArmException($"{Deployment.Name}: copyIndex({loop}) outside its loop");

    public object? LambdaVariable(string name) =>
        _lambda.TryGetValue(name, out var v) ? v : throw new ArmException($"{Deployment.Name}: lambdaVariables('{name}') outside its lambda");
}
