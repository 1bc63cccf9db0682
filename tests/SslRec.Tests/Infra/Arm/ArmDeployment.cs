using System.Text.Json.Nodes;

namespace SslRec.Tests.Infra.Arm;

/// <summary>
/// A compiled template deployed on paper: main.bicep's template with sample parameters, every module a
/// nested <see cref="Deployment"/> of its own template with the parameters its parent passes, every resource
/// with its evaluated name and id. Checks read resources from here and follow references between them:
/// an `existing` resource resolves to the one the template deploys with that id (or fails), and a module's
/// outputs are its own template's outputs evaluated.
/// </summary>
public sealed class ArmWorld
{
    public const string SubscriptionId = "00000000-0000-0000-0000-00000000005b";
    public const string ResourceGroupName = "sslrec-rg";
    public const string Location = "swedencentral";

    private readonly Lazy<List<Resource>> _deployed;

    public ArmWorld(JsonObject template, IReadOnlyDictionary<string, object?> parameters)
    {
        Root = new Deployment(this, "main", template, null, name => parameters.TryGetValue(name, out var v) ? new Passed(v) : null);
        _deployed = new(() => Root.Deployed().ToList());
    }

    public Deployment Root { get; }

    public static string ResourceGroupId => $"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroupName}";

    public static Dictionary<string, object?> ResourceGroup(ArmWorld _) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["id"] = ResourceGroupId, ["name"] = ResourceGroupName, ["location"] = Location, ["type"] = "Microsoft.Resources/resourceGroups",
    };

    public static Dictionary<string, object?> Subscription() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["id"] = $"/subscriptions/{SubscriptionId}", ["subscriptionId"] = SubscriptionId, ["tenantId"] = "00000000-0000-0000-0000-0000000000te",
    };

    /// <summary>Every resource the template deploys (not `existing` ones, not those whose condition is false), in every module.</summary>
    public IReadOnlyList<Resource> Deployed => _deployed.Value;

    public IEnumerable<Resource> OfType(string type) =>
        Deployed.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    /// <summary>The one deployed resource of a type; more or none is a violation of the design.</summary>
    public Resource Single(string type)
    {
        var all = OfType(type).ToList();
        return all.Count == 1 ? all[0] : throw new ArmException($"the template deploys {all.Count} resources of type {type}, expected one");
    }

    /// <summary>
    /// The deployed resource with this id. Extension resources (role assignments) are never the target of a
    /// reference, and a resource whose own name cannot be evaluated is reported by the check that reads it.
    /// </summary>
    public Resource? Find(string id) =>
        Deployed.FirstOrDefault(r => r.Declaration["scope"] is null && string.Equals(r.TryId(), id, StringComparison.OrdinalIgnoreCase));

    public Deployment Module(string name) =>
        Deployed.SingleOrDefault(r => r.Type == Deployment.Type && r.Name == name)?.Nested ?? throw new ArmException($"no module named {name}");

    public IEnumerable<Deployment> Deployments() => Deployed.Where(r => r.Nested is not null).Select(r => r.Nested!).Prepend(Root);
}

/// <summary>A value a parent passes to a parameter (null itself is a value).</summary>
public sealed record Passed(object? Value);

public sealed class Deployment
{
    public const string Type = "Microsoft.Resources/deployments";

    private readonly Func<string, Passed?> _passed;
    private readonly Dictionary<string, object?> _parameters = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, object?> _variables = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lazy<List<Resource>> _resources;

    public Deployment(ArmWorld world, string name, JsonObject template, Deployment? parent, Func<string, Passed?> passed)
    {
        World = world;
        Name = name;
        Template = template;
        Parent = parent;
        _passed = passed;
        _resources = new(() => Declare().ToList());
    }

    public ArmWorld World { get; }
    public string Name { get; }
    public JsonObject Template { get; }
    public Deployment? Parent { get; }

    /// <summary>Every resource the template declares, `existing` ones included, copy loops expanded.</summary>
    public IReadOnlyList<Resource> Resources => _resources.Value;

    private IEnumerable<Resource> Declare()
    {
        var declared = Template["resources"] switch
        {
            JsonObject symbolic => symbolic.Select(p => (Symbol: (string?)p.Key, Node: p.Value!.AsObject())),   // languageVersion 2.0
            JsonArray list => list.Select(n => (Symbol: (string?)null, Node: n!.AsObject())),
            _ => [],
        };
        var scope = new Scope(this);
        foreach (var (symbol, node) in declared)
        {
            if (node["copy"] is JsonObject copy)
            {
                var loop = (string)copy["name"]!;
                var count = ArmValue.ToLong(ArmValue.Evaluate(copy["count"], scope));
                for (var i = 0; i < count; i++) yield return new Resource(this, symbol, node, scope.WithCopy(loop, i, resourceLoop: true));
            }
            else yield return new Resource(this, symbol, node, scope);
        }
    }

    public IEnumerable<Resource> Deployed()
    {
        foreach (var r in Resources.Where(r => !r.Existing && r.Condition))
        {
            yield return r;
            if (r.Nested is { } nested)
                foreach (var inner in nested.Deployed()) yield return inner;
        }
    }

    public object? Parameter(string name)
    {
        if (_parameters.TryGetValue(name, out var cached)) return cached;
        var declared = Template["parameters"]?[name] ?? throw new ArmException($"{Name}: no parameter {name}");
        object? value = _passed(name) is { } passed ? passed.Value
            : declared["defaultValue"] is { } d ? ArmValue.Evaluate(d, new Scope(this))
            : throw new ArmException($"{Name}: parameter {name} has no value");
        if (declared["allowedValues"] is JsonArray allowed && !allowed.Any(a => ArmValue.Same(ArmValue.Evaluate(a, new Scope(this)), value)))
            throw new ArmException($"{Name}: parameter {name} = {ArmValue.Describe(value)} is not one of its allowed values");
        return _parameters[name] = value;
    }

    public object? Variable(string name)
    {
        if (_variables.TryGetValue(name, out var cached)) return cached;
        var declared = Template["variables"]?[name] ?? throw new ArmException($"{Name}: no variable {name}");
        return _variables[name] = ArmValue.Evaluate(declared, new Scope(this));
    }

    public object? Output(string name)
    {
        var declared = Template["outputs"]?[name] ?? throw new ArmException($"module {Name} has no output {name}");
        return ArmValue.Evaluate(declared["value"], new Scope(this));
    }

    public Resource? Symbol(string symbol) => Resources.FirstOrDefault(r => r.Symbol == symbol);

    /// <summary>
    /// What reference() returns: the resource by symbolic name or id; an `existing` declaration is the resource
    /// the template deploys with that id — there is nothing else in this resource group to find.
    /// </summary>
    public ResourceView Reference(string target, bool full)
    {
        var resource = Symbol(target)
                       ?? Resources.FirstOrDefault(r => string.Equals(r.Id, target, StringComparison.OrdinalIgnoreCase))
                       ?? World.Find(target)
                       ?? throw new ArmException($"{Name}: reference('{target}') names no resource");
        return new ResourceView(resource.Existing ? resource.Target() : resource, full);
    }
}

/// <summary>One resource (one copy of a loop) of a deployment.</summary>
public sealed class Resource
{
    private readonly Lazy<string> _name;
    private readonly Lazy<bool> _condition;
    private readonly Lazy<Deployment?> _nested;

    public Resource(Deployment deployment, string? symbol, JsonObject declaration, Scope scope)
    {
        Deployment = deployment;
        Symbol = symbol;
        Declaration = declaration;
        Scope = scope;
        _name = new(() => ArmValue.Evaluate(declaration["name"], scope) as string ?? throw new ArmException($"{deployment.Name}: a {Type} without a name"));
        _condition = new(() => declaration["condition"] is not { } c || ArmValue.Same(ArmValue.Evaluate(c, scope), true));
        _nested = new(() => Type != Deployment.Type ? null
            : new Deployment(deployment.World, Name, declaration["properties"]!["template"]!.AsObject(), deployment,
                p => declaration["properties"]!["parameters"]?[p] is JsonObject passed ? new Passed(ArmValue.Evaluate(passed["value"], scope)) : null));
    }

    public Deployment Deployment { get; }
    public string? Symbol { get; }
    public JsonObject Declaration { get; }
    public Scope Scope { get; }
    public string Type => (string)Declaration["type"]!;
    public bool Existing => Declaration["existing"] is JsonValue v && v.GetValue<bool>();
    public bool Condition => _condition.Value;

    /// <summary>The full name: "account/default/queue" for a queue.</summary>
    public string Name => _name.Value;

    public string ShortName => Name.Split('/')[^1];

    /// <summary>Where an extension resource (a role assignment) applies: its `scope`, or the resource group.</summary>
    public string ScopeId => Declaration["scope"] is { } s ? ArmValue.Evaluate(s, Scope) as string ?? throw new ArmException($"{this}: scope is not a resource id") : ArmWorld.ResourceGroupId;

    public string Id => Declaration["scope"] is not null
        ? $"{ScopeId}/providers/{ResourceIds.Path(Type, Name.Split('/'))}"
        : ResourceIds.Of(ArmWorld.SubscriptionId, ArmWorld.ResourceGroupName, Type, Name.Split('/'));

    public string? TryId()
    {
        try { return Id; }
        catch (ArmException) { return null; }
    }

    /// <summary>The nested deployment of a module.</summary>
    public Deployment? Nested => _nested.Value;

    /// <summary>A declared value by path, e.g. ("properties", "configuration", "registries"); null when absent.</summary>
    public object? Get(params string[] path) => ArmValue.At(Declaration, Scope, path);

    /// <summary>For an `existing` declaration, the resource the template deploys with the same id.</summary>
    public Resource Target() =>
        Deployment.World.Find(Id) ?? throw new ArmException(
            $"{Deployment.Name} uses the existing {Type} '{Name}', which the template does not deploy");

    public override string ToString() => $"{Deployment.Name}/{Symbol ?? Name}";
}
