using System.Text.Json;

namespace SslRec.Pipeline.Settings;

/// <summary>
/// Reads the queue settings of the root host.json (the file the Azure Functions app ships with) and turns
/// them into the configuration keys the WebJobs queue extension binds (AzureWebJobs:Extensions:Queues:*),
/// so the local host and Azure poll, retry and poison with the same numbers.
/// </summary>
public static class HostJsonSettings
{
    public const string FileName = "host.json";

    public static Dictionary<string, string?> QueueConfiguration(string hostJsonPath)
    {
        var settings = new Dictionary<string, string?>();
        using var doc = JsonDocument.Parse(File.ReadAllText(hostJsonPath), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        if (!doc.RootElement.TryGetProperty("extensions", out var ext) || !ext.TryGetProperty("queues", out var queues)) return settings;
        foreach (var p in queues.EnumerateObject())
        {
            var key = char.ToUpperInvariant(p.Name[0]) + p.Name[1..];
            settings[$"AzureWebJobs:Extensions:Queues:{key}"] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText();
        }
        return settings;
    }

    /// <summary>The host's maxDequeueCount (5, the Functions default, when host.json does not set it).</summary>
    public static int MaxDequeueCount(IReadOnlyDictionary<string, string?> queueConfiguration) =>
        int.TryParse(queueConfiguration.GetValueOrDefault("AzureWebJobs:Extensions:Queues:MaxDequeueCount"), out var m) ? m : 5;

    /// <summary>The host's maxPollingInterval (the longest wait between polls of an empty queue; 2 s when unset).</summary>
    public static TimeSpan MaxPollingInterval(IReadOnlyDictionary<string, string?> queueConfiguration) =>
        TimeSpan.TryParse(queueConfiguration.GetValueOrDefault("AzureWebJobs:Extensions:Queues:MaxPollingInterval"), System.Globalization.CultureInfo.InvariantCulture, out var t) ? t : TimeSpan.FromSeconds(2);

    /// <summary>host.json next to the program (the build copies the root one there), else the nearest one above the working folder.</summary>
    public static string Locate()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, FileName);
        if (File.Exists(beside)) return beside;
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, FileName))) return Path.Combine(dir.FullName, FileName);
        throw new FileNotFoundException($"{FileName} not found next to the program or above {Directory.GetCurrentDirectory()}");
    }
}
