namespace SslRec.Tests.Infra;

/// <summary>
/// Real process environment variables for a test, as the platform delivers app settings: every variable
/// SslRec reads is cleared first (so nothing from the machine or an earlier test leaks in), the given
/// ones are set, and all are restored on dispose. Tests using it belong to the "process environment"
/// collection, which xunit runs alone.
/// </summary>
public sealed class ProcessEnvironment : IDisposable
{
    private static readonly string[] Prefixes = ["AzureWebJobsStorage", "ServiceBusConnection", "SSLREC_", "SslRec__", "AZURE_CLIENT_ID"];
    private readonly Dictionary<string, string?> _saved = new();

    public ProcessEnvironment(IReadOnlyDictionary<string, string> variables)
    {
        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(n => Prefixes.Any(p => n.StartsWith(p, StringComparison.OrdinalIgnoreCase))))
            Set(name, null);
        foreach (var (name, value) in variables) Set(name, value);
    }

    private void Set(string name, string? value)
    {
        _saved.TryAdd(name, Environment.GetEnvironmentVariable(name));
        Environment.SetEnvironmentVariable(name, value);
    }

    public void Dispose()
    {
        foreach (var (name, value) in _saved) Environment.SetEnvironmentVariable(name, value);
    }
}

[CollectionDefinition("process environment", DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection;
