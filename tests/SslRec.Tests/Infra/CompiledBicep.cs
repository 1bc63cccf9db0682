using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SslRec.Tests.Infra;

/// <summary>
/// infra/main.bicep compiled with the Bicep CLI (the Azure.Bicep.CommandLine NuGet package the test project
/// restores), and a small evaluator of the ARM expressions the contract tests need: parameters, variables,
/// format and resourceId, with module parameters passed down from main. Values only known at deployment
/// time (another module's outputs, an identity's ids) become the sample values below; an expression this
/// evaluator does not know fails the test, so the contract tests cannot silently skip a new setting.
/// </summary>
public static class CompiledBicep
{
    public static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir!.FullName, "SslRec.Functions.sln"))) dir = dir.Parent;
        return dir.FullName;
    }

    public static string BicepCli()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                       ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var bicep = Path.Combine(packages, "azure.bicep.commandline.linux-x64", "0.49.2", "tools", "bicep");
        Assert.True(File.Exists(bicep), $"the Bicep CLI is restored with the test project: {bicep}");
        return bicep;
    }

    public static (int Code, string Output) Run(params string[] args)
    {
        var psi = new ProcessStartInfo(BicepCli()) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["BICEP_TRACING_ENABLED"] = "false";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stderr + stdout.Result);
    }

    private static readonly Lazy<JsonObject> Compiled = new(() =>
    {
        var (code, json) = Run("build", Path.Combine(Root(), "infra", "main.bicep"), "--stdout");
        Assert.True(code == 0, json);
        return JsonNode.Parse(json)!.AsObject();
    });

    public static JsonObject Main => Compiled.Value;

    /// <summary>Sample values for what only a deployment knows, by the output or property an expression reads.</summary>
    public static readonly Dictionary<string, string> DeploymentTimeSamples = new()
    {
        ["outputs.name.value"] = "sslrecsample0storage",
        ["outputs.fullyQualifiedNamespace.value"] = "sslrec-sb-sample.servicebus.windows.net",
        ["outputs.insightsConnectionString.value"] = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://example.invalid/",
        ["clientId"] = "11111111-2222-3333-4444-555555555555",
    };

    /// <summary>A module of main.bicep: its name, its compiled template and the parameter values main passes.</summary>
    public sealed record Module(string Name, JsonObject Template, JsonObject Parameters)
    {
        public IEnumerable<JsonObject> Resources(string type) =>
            Items(Template["resources"]).Where(r => (string?)r["type"] == type && r["existing"] is null);

        /// <summary>Evaluates a template value: a literal, or an "[expression]".</summary>
        public string Evaluate(JsonNode? value)
        {
            var text = value!.GetValue<string>();
            return text.StartsWith('[') && !text.StartsWith("[[") ? new Expression(this, text[1..^1]).Evaluate() : text;
        }

        internal string Parameter(string name)
        {
            if (Parameters[name] is { } passed) return EvaluateInMain(passed["value"]!);
            var declared = Template["parameters"]?[name] ?? throw new InvalidOperationException($"module {Name}: no parameter {name}");
            return declared["defaultValue"] is { } d ? Evaluate(d) : throw new InvalidOperationException($"module {Name}: parameter {name} has no value");
        }

        internal JsonNode Variable(string name) =>
            Template["variables"]?[name] ?? throw new InvalidOperationException($"module {Name}: no variable {name}");
    }

    /// <summary>A template's resources: an array, or (symbolic names, language version 2.0) an object.</summary>
    private static IEnumerable<JsonObject> Items(JsonNode? resources) =>
        (resources is JsonObject map ? map.Select(p => p.Value!) : resources!.AsArray().Select(n => n!)).Select(n => n.AsObject());

    public static IEnumerable<Module> Modules() =>
        Items(Main["resources"])
            .Where(r => (string?)r["type"] == "Microsoft.Resources/deployments")
            .Select(r => new Module((string)r["name"]!, r["properties"]!["template"]!.AsObject(), r["properties"]!["parameters"]!.AsObject()));

    public static Module ModuleNamed(string name) => Modules().Single(m => m.Name == name);

    private static string EvaluateInMain(JsonNode value) =>
        new Module("main", Main, new JsonObject()).Evaluate(value);

    /// <summary>Recursive-descent evaluation of one ARM expression (the subset main.bicep compiles to).</summary>
    private sealed class Expression(Module module, string text)
    {
        private int _at;

        public string Evaluate()
        {
            var value = Term();
            if (_at != text.Length) throw Unsupported();
            return value;
        }

        private string Term()
        {
            if (text[_at] == '\'') return Literal();
            var start = _at;
            while (_at < text.Length && char.IsLetterOrDigit(text[_at])) _at++;
            var function = text[start.._at];
            var args = Arguments();
            return function switch
            {
                "parameters" => Accessors(module.Parameter(args[0])),
                "variables" => Accessors(module.Variable(args[0])),
                "format" => string.Format(args[0], args.Skip(1).ToArray<object>()),
                "resourceId" or "subscriptionResourceId" => $"{args[0]}/{string.Join('/', args.Skip(1))}",
                "reference" => DeploymentTime(),
                "json" => args[0],
                _ => throw Unsupported(),
            };
        }

        private List<string> Arguments()
        {
            var args = new List<string>();
            Expect('(');
            while (text[_at] != ')')
            {
                args.Add(Term());
                if (text[_at] == ',') { _at++; while (text[_at] == ' ') _at++; }
            }
            Expect(')');
            return args;
        }

        private string Literal()
        {
            var sb = new StringBuilder();
            Expect('\'');
            while (true)
            {
                if (text[_at] == '\'' && (_at + 1 >= text.Length || text[_at + 1] != '\'')) break;
                if (text[_at] == '\'') _at++;
                sb.Append(text[_at++]);
            }
            Expect('\'');
            return sb.ToString();
        }

        /// <summary>`.a.b` after a variable or parameter whose value is an object.</summary>
        private string Accessors(JsonNode node)
        {
            while (_at < text.Length && text[_at] == '.')
            {
                _at++;
                var start = _at;
                while (_at < text.Length && char.IsLetterOrDigit(text[_at])) _at++;
                node = node[text[start.._at]] ?? throw Unsupported();
            }
            return node is JsonValue v && v.TryGetValue<string>(out var s) ? module.Evaluate(s) : node.ToJsonString();
        }

        private string Accessors(string value) => _at < text.Length && text[_at] == '.' ? throw Unsupported() : value;

        /// <summary>reference(...) followed by properties: a value only the deployment knows.</summary>
        private string DeploymentTime()
        {
            var start = _at;
            while (_at < text.Length && text[_at] != ',' && text[_at] != ')') _at++;
            var path = text[start.._at].TrimStart('.');
            return DeploymentTimeSamples.FirstOrDefault(s => path.EndsWith(s.Key, StringComparison.Ordinal)).Value ?? throw Unsupported();
        }

        private void Expect(char c)
        {
            if (_at >= text.Length || text[_at] != c) throw Unsupported();
            _at++;
        }

        private InvalidOperationException Unsupported() =>
            new($"module {module.Name}: the contract tests cannot evaluate '{text}' (at {_at}); extend CompiledBicep or add a deployment-time sample");
    }
}
