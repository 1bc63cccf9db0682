using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SslRec.LocalHost;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Storage;

namespace SslRec.Cli.Commands;

/// <summary>
/// `--storage-folder DIR`: local storage that outlives the command. The pipeline commands (and `sslrec demo`,
/// which keeps its storage in .demo/storage) talk to an Azurite serving that folder: the one a running
/// command already started (it leaves a marker file there with its ports), or one started now and stopped
/// when the command ends. So `sslrec recommend --storage-folder .demo/storage …` works after the demo has
/// ended, and `sslrec host` plus `sslrec status` in two terminals share one emulator.
/// </summary>
public sealed class LocalStorage : IDisposable
{
    public static readonly Option<string?> FolderOption = new("--storage-folder")
    {
        Description = "Use local storage kept in this folder (e.g. the demo's .demo/storage): the Azurite already serving it, or one started for this command. Default: AzureWebJobsStorage, else Azurite on 127.0.0.1:10000",
    };

    /// <summary>Written into the folder by the process that started its Azurite, removed when it stops it.</summary>
    public const string MarkerFile = "sslrec-azurite.json";

    private readonly AzuriteProcess? _started;
    private readonly string? _marker;
    private readonly string? _previousConnection;

    public string Folder { get; }
    public string ConnectionString { get; }
    /// <summary>Whether this command started the emulator (and stops it on dispose).</summary>
    public bool Started => _started is not null;
    public int BlobPort { get; }
    public int QueuePort { get; }

    private LocalStorage(string folder, string connectionString, int blobPort, int queuePort, AzuriteProcess? started, string? marker)
    {
        Folder = folder;
        ConnectionString = connectionString;
        BlobPort = blobPort;
        QueuePort = queuePort;
        _started = started;
        _marker = marker;
        // Every reader of settings (PipelineSettings.FromEnvironment, the train worker's configuration) takes the
        // storage from AzureWebJobsStorage; the command points it at this folder's emulator until it ends.
        _previousConnection = Environment.GetEnvironmentVariable(StorageSettings.SectionName);
        Environment.SetEnvironmentVariable(StorageSettings.SectionName, connectionString);
    }

    /// <summary>null when no folder is given: the command uses the configured storage as before.</summary>
    public static async Task<LocalStorage?> OpenAsync(string? folder, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(folder)) return null;
        var full = Path.GetFullPath(folder);
        if (File.Exists(full)) throw new ArgumentException($"--storage-folder {folder}: a file, not a folder");
        Directory.CreateDirectory(full);
        var marker = Path.Combine(full, MarkerFile);
        if (Running(marker) is { } running)
            return new LocalStorage(full, AzuriteProcess.Connection(running.BlobPort, running.QueuePort), running.BlobPort, running.QueuePort, null, null);

        var azurite = await AzuriteProcess.StartAsync(inMemory: false, location: full, ct: ct); // free ports: the marker says which
        File.WriteAllText(marker, JsonSerializer.Serialize(new Marker(azurite.ProcessId, azurite.BlobPort, azurite.QueuePort)));
        return new LocalStorage(full, azurite.ConnectionString, azurite.BlobPort, azurite.QueuePort, azurite, marker);
    }

    private sealed record Marker(int Pid, int BlobPort, int QueuePort);

    /// <summary>The emulator another command started on this folder, if its process still runs and listens.</summary>
    private static Marker? Running(string markerPath)
    {
        try
        {
            var m = JsonSerializer.Deserialize<Marker>(File.ReadAllText(markerPath));
            if (m is null) return null;
            using var process = Process.GetProcessById(m.Pid);
            return !process.HasExited && AzuriteProcess.IsListening(m.BlobPort, m.QueuePort) ? m : null;
        }
        catch (Exception e) when (e is IOException or JsonException or ArgumentException or InvalidOperationException or UnauthorizedAccessException)
        {
            return null; // no marker, an unreadable one, or its process is gone: start a new emulator
        }
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(StorageSettings.SectionName, _previousConnection);
        if (_started is null) return;
        try { File.Delete(_marker!); } catch (IOException) { }
        _started.Dispose(); // stops the emulator; the folder and its data stay
    }
}
