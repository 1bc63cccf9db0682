using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace SslRec.Tests.Infra.Arm;

/// <summary>
/// The template functions Bicep's output uses, evaluated as ARM does. `reference()` returns the resource
/// itself (<see cref="ResourceView"/>): its declared properties, or what the platform fills in, modelled in
/// <see cref="DeploymentTimeValues"/>; a nested deployment's outputs are evaluated from its own template.
/// A function not listed here fails the check that needs it.
/// </summary>
public static class ArmFunctions
{
    public static object? Evaluate(Ast ast, Scope scope) => ast switch
    {
        Literal l => l.Value,
        Member m => Access(Evaluate(m.Target, scope), m.Name, m),
        IndexAccess i => Access(Evaluate(i.Target, scope), Evaluate(i.Key, scope), i),
        Call c => Call(c, scope),
        _ => throw new ArmException($"unknown expression {ast}"),
    };

    private static object? Access(object? target, object? key, Ast where) => (target, key) switch
    {
        (Dictionary<string, object?> d, string name) => d.TryGetValue(name, out var v) ? v
            : throw new ArmException($"property '{name}' does not exist in {ArmValue.Describe(d)}"),
        (ILazyObject lazy, string name) => lazy.Get(name),
        (List<object?> list, long i) => i >= 0 && i < list.Count ? list[(int)i] : throw new ArmException($"index {i} out of range in {where}"),
        _ => throw new ArmException($"cannot read {ArmValue.Describe(key)} of {ArmValue.Describe(target)}"),
    };

    private static object? Call(Call c, Scope scope)
    {
        // Functions whose arguments are not all evaluated first.
        switch (c.Function.ToLowerInvariant())
        {
            case "if":
                return ArmValue.Same(Evaluate(c.Arguments[0], scope), true) ? Evaluate(c.Arguments[1], scope) : Evaluate(c.Arguments[2], scope);
            case "lambda":
                return new ArmLambda(c.Arguments.SkipLast(1).Select(a => (string)Evaluate(a, scope)!).ToList(), c.Arguments[^1], scope);
        }

        var a = c.Arguments.Select(x => Evaluate(x, scope)).ToList();
        var d = scope.Deployment;
        string S(int i) => a[i] as string ?? throw new ArmException($"{c.Function}: argument {i} is {ArmValue.Describe(a[i])}, not a string");
        List<object?> L(int i) => a[i] as List<object?> ?? throw new ArmException($"{c.Function}: argument {i} is {ArmValue.Describe(a[i])}, not an array");
        long N(int i) => ArmValue.ToLong(a[i]);

        return c.Function.ToLowerInvariant() switch
        {
            "parameters" => d.Parameter(S(0)),
            "variables" => d.Variable(S(0)),
            "reference" => d.Reference(S(0), full: a.Count > 2 && string.Equals(a[2] as string, "full", StringComparison.OrdinalIgnoreCase)),
            "listkeys" => new Secret(S(0)),
            "resourceid" => ResourceIdFunction(d, a.Select(ArmValue.Text).ToList(), subscriptionScope: false),
            "subscriptionresourceid" => ResourceIdFunction(d, a.Select(ArmValue.Text).ToList(), subscriptionScope: true),
            "extensionresourceid" => $"{S(0)}/providers/{ResourceIds.Path(S(1), a.Skip(2).Select(ArmValue.Text).ToList())}",
            "resourcegroup" => ArmWorld.ResourceGroup(d.World),
            "subscription" => ArmWorld.Subscription(),
            "deployment" => new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["name"] = d.Name },
            "copyindex" => (long)scope.CopyIndex(a.FirstOrDefault(x => x is string) as string) + (a.LastOrDefault() is long offset ? offset : 0),
            "lambdavariables" => scope.LambdaVariable(S(0)),
            "map" => L(0).Select(x => Apply(a[1], x)).ToList(),
            "filter" => L(0).Where(x => ArmValue.Same(Apply(a[1], x), true)).ToList(),
            "format" => string.Format(CultureInfo.InvariantCulture, S(0), a.Skip(1).Select(x => (object)ArmValue.Text(x)).ToArray()),
            "concat" => a.All(x => x is List<object?>) ? a.SelectMany(x => (List<object?>)x!).ToList() : string.Concat(a.Select(ArmValue.Text)),
            "createarray" => a,
            "createobject" => CreateObject(a),
            "union" => Union(a),
            "length" => (long)(a[0] switch { string s => s.Length, List<object?> l => l.Count, Dictionary<string, object?> o => o.Count, _ => throw new ArmException($"length of {ArmValue.Describe(a[0])}") }),
            "empty" => a[0] switch { null => true, string s => s.Length == 0, List<object?> l => l.Count == 0, Dictionary<string, object?> o => o.Count == 0, _ => false },
            "first" => a[0] is string fs ? fs[..1] : L(0).FirstOrDefault(),
            "last" => a[0] is string ls ? ls[^1..] : L(0).LastOrDefault(),
            "take" => a[0] is string ts ? ts[..(int)Math.Min(N(1), ts.Length)] : L(0).Take((int)N(1)).ToList(),
            "skip" => a[0] is string ss ? ss[(int)Math.Min(N(1), ss.Length)..] : L(0).Skip((int)N(1)).ToList(),
            "contains" => a[0] switch
            {
                string s => s.Contains(ArmValue.Text(a[1]), StringComparison.OrdinalIgnoreCase),
                List<object?> l => l.Any(x => ArmValue.Same(x, a[1])),
                Dictionary<string, object?> o => o.ContainsKey(ArmValue.Text(a[1])),
                _ => false,
            },
            "split" => S(0).Split(a[1] is List<object?> seps ? seps.Select(ArmValue.Text).ToArray() : [S(1)], StringSplitOptions.None).Select(x => (object?)x).ToList(),
            "join" => string.Join(S(1), L(0).Select(ArmValue.Text)),
            "tolower" => S(0).ToLowerInvariant(),
            "toupper" => S(0).ToUpperInvariant(),
            "replace" => S(0).Replace(S(1), S(2), StringComparison.Ordinal),
            "startswith" => S(0).StartsWith(S(1), StringComparison.OrdinalIgnoreCase),
            "endswith" => S(0).EndsWith(S(1), StringComparison.OrdinalIgnoreCase),
            "trim" => S(0).Trim(),
            "string" => a[0] is string str ? str : ArmValue.Text(a[0]),
            "int" => ArmValue.ToLong(a[0]),
            "bool" => a[0] is bool bo ? bo : bool.Parse(S(0)),
            "json" => ArmValue.Evaluate(JsonNode.Parse(S(0)), scope),
            "true" => true,
            "false" => false,
            "null" => null,
            "not" => !(bool)a[0]!,
            "and" => a.All(x => (bool)x!),
            "or" => a.Any(x => (bool)x!),
            "equals" => ArmValue.Same(a[0], a[1]),
            "less" => Compare(a[0], a[1]) < 0,
            "lessorequals" => Compare(a[0], a[1]) <= 0,
            "greater" => Compare(a[0], a[1]) > 0,
            "greaterorequals" => Compare(a[0], a[1]) >= 0,
            "coalesce" => a.FirstOrDefault(x => x is not null),
            "add" => N(0) + N(1),
            "sub" => N(0) - N(1),
            "mul" => N(0) * N(1),
            "div" => N(0) / N(1),
            "mod" => N(0) % N(1),
            "min" => a.Select(ArmValue.ToLong).Min(),
            "max" => a.Select(ArmValue.ToLong).Max(),
            "guid" => Guid(a.Select(ArmValue.Text)),
            "uniquestring" => UniqueString(a.Select(ArmValue.Text)),
            _ => throw new ArmException($"{d.Name}: the contract tests do not evaluate {c.Function}(); add it to ArmFunctions"),
        };
    }

    private static object? Apply(object? lambda, object? value)
    {
        var f = lambda as ArmLambda ?? throw new ArmException("map/filter needs a lambda");
        return Evaluate(f.Body, f.Scope.WithLambda(f.Parameters[0], value));
    }

    private static Dictionary<string, object?> CreateObject(List<object?> a)
    {
        var o = ArmValue.NewObject();
        for (var i = 0; i + 1 < a.Count; i += 2) o[ArmValue.Text(a[i])] = a[i + 1];
        return o;
    }

    private static object? Union(List<object?> a)
    {
        if (a.All(x => x is List<object?>))
            return a.SelectMany(x => (List<object?>)x!).Aggregate(new List<object?>(), (acc, x) => { if (!acc.Any(y => ArmValue.Same(x, y))) acc.Add(x); return acc; });
        var o = ArmValue.NewObject();
        foreach (var d in a.Cast<Dictionary<string, object?>>())
            foreach (var (k, v) in d) o[k] = v;
        return o;
    }

    private static int Compare(object? x, object? y) =>
        x is string sx && y is string sy ? string.CompareOrdinal(sx, sy) : ArmValue.ToLong(x).CompareTo(ArmValue.ToLong(y));

    /// <summary>resourceId([subscriptionId], [resourceGroupName], type, names...) and subscriptionResourceId([subscriptionId], type, names...).</summary>
    private static string ResourceIdFunction(Deployment d, List<string> a, bool subscriptionScope)
    {
        var typeAt = a.FindIndex(x => x.Contains('/') && x.Split('/')[0].Contains('.'));
        if (typeAt < 0) throw new ArmException($"{d.Name}: resourceId({string.Join(", ", a)}) names no resource type");
        var before = a[..typeAt];
        var subscription = before.Count > (subscriptionScope ? 0 : 1) ? before[0] : ArmWorld.SubscriptionId;
        var group = subscriptionScope ? null : before.Count > 0 ? before[^1] : ArmWorld.ResourceGroupName;
        return ResourceIds.Of(subscription, group, a[typeAt], a[(typeAt + 1)..]);
    }

    /// <summary>ARM's guid(): a GUID determined by its arguments (here a SHA-1 of them).</summary>
    public static string Guid(IEnumerable<string> parts)
    {
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes(string.Join("\u001f", parts)));
        return new Guid(hash[..16]).ToString();
    }

    /// <summary>ARM's uniqueString(): 13 characters from [a-z2-7] determined by its arguments.</summary>
    public static string UniqueString(IEnumerable<string> parts)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\u001f", parts)));
        return new string(hash.Take(13).Select(b => alphabet[b % 32]).ToArray());
    }

    /// <summary>A key returned by listKeys(): a secret the template reads, never a value a check can compare.</summary>
    private sealed record Secret(string ResourceId) : ILazyObject
    {
        public object? Get(string name) => $"secret({ResourceId}).{name}";
    }
}

/// <summary>Resource id paths: "Microsoft.Storage/storageAccounts/queueServices/queues" + [a, default, q] → "Microsoft.Storage/storageAccounts/a/queueServices/default/queues/q".</summary>
public static class ResourceIds
{
    public static string Path(string type, IReadOnlyList<string> names)
    {
        var segments = type.Split('/');
        if (segments.Length - 1 != names.Count)
            throw new ArmException($"resource type {type} needs {segments.Length - 1} name segments, got [{string.Join(", ", names)}]");
        return segments[0] + string.Concat(segments.Skip(1).Select((t, i) => $"/{t}/{names[i]}"));
    }

    public static string Of(string subscription, string? resourceGroup, string type, IReadOnlyList<string> names) =>
        $"/subscriptions/{subscription}" + (resourceGroup is null ? "" : $"/resourceGroups/{resourceGroup}") + "/providers/" + Path(type, names);
}
