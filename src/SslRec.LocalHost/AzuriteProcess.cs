using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SslRec.LocalHost;

/// <summary>
/// Starts Azurite (the Azure Storage emulator, an npm package) on 127.0.0.1 with telemetry off and its data
/// in memory or a temporary folder, and stops it again. Found via SSLREC_AZURITE, the repository's
/// .tools/azurite (what scripts/bootstrap.sh installs), or PATH.
/// </summary>
public sealed class AzuriteProcess : IDisposable
{
    public const string AccountName = "devstoreaccount1";
    // Azurite's well-known development key (public, documented; not a secret).
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string? _dataDirectory;
    private readonly bool _inMemory;

    /// <summary>The emulator's process (node), so that another process can tell whether it is still running.</summary>
    public int ProcessId => _process.Id;
    public int BlobPort { get; }
    public int QueuePort { get; }
    public string ConnectionString => Connection(BlobPort, QueuePort);

    public static string Connection(int blobPort, int queuePort) =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{blobPort}/{AccountName};QueueEndpoint=http://127.0.0.1:{queuePort}/{AccountName};";

    private AzuriteProcess(Process process, int blobPort, int queuePort, string? dataDirectory, bool inMemory)
    {
        _process = process;
        _inMemory = inMemory;
        BlobPort = blobPort;
        QueuePort = queuePort;
        _dataDirectory = dataDirectory;
    }

    /// <summary>Whether something accepts connections on both ports (Azurite's defaults are 10000 and 10001).</summary>
    public static bool IsListening(int blobPort = 10000, int queuePort = 10001) => CanConnect(blobPort) && CanConnect(queuePort);

    public static string? FindExecutable()
    {
        var configured = Environment.GetEnvironmentVariable("SSLREC_AZURITE");
        if (!string.IsNullOrEmpty(configured)) return configured;
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, ".tools", "azurite", "node_modules", ".bin", "azurite");
                if (File.Exists(candidate)) return candidate;
            }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, "azurite"))) return Path.Combine(dir, "azurite");
        return null;
    }

    /// <param name="blobPort">0 picks a free port</param>
    /// <param name="location">a folder that keeps the data across restarts (kept on dispose); null: a temporary one</param>
    public static async Task<AzuriteProcess> StartAsync(int blobPort = 0, int queuePort = 0, bool inMemory = true, TimeSpan? timeout = null, string? location = null,
        CancellationToken ct = default)
    {
        var exe = FindExecutable() ?? throw new FileNotFoundException(
            "Azurite was not found: run `bash scripts/bootstrap.sh` (installs it into .tools/azurite), `npm install -g azurite`, or set SSLREC_AZURITE");
        blobPort = blobPort == 0 ? FreePort() : blobPort;
        queuePort = queuePort == 0 ? FreePort() : queuePort;
        var tablePort = FreePort();
        var data = location ?? Path.Combine(Path.GetTempPath(), "sslrec-azurite-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        inMemory &= location is null;
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[]
                 {
                     "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
                     "--blobPort", blobPort.ToString(), "--queuePort", queuePort.ToString(), "--tablePort", tablePort.ToString(),
                     "--disableTelemetry", "--silent", // no --skipApiVersionCheck: users start Azurite without it, so SslRec must not need it
                 })
            psi.ArgumentList.Add(a);
        // Azurite refuses --location together with --inMemoryPersistence.
        if (inMemory) psi.ArgumentList.Add("--inMemoryPersistence");
        else
        {
            psi.ArgumentList.Add("--location");
            psi.ArgumentList.Add(data);
        }
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var azurite = new AzuriteProcess(process, blobPort, queuePort, location is null ? data : null, inMemory);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!IsListening(blobPort, queuePort))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                azurite.Dispose();
                lock (stderr) throw new InvalidOperationException($"Azurite did not start on 127.0.0.1:{blobPort}/{queuePort}: {stderr}");
            }
            try { await Task.Delay(100, ct); }
            catch (OperationCanceledException) { azurite.Dispose(); throw; }
        }
        return azurite;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static bool InUse(int port) => CanConnect(port);

    private static bool CanConnect(int port)
    {
        try
        {
            using var c = new TcpClient();
            return c.ConnectAsync(IPAddress.Loopback, port).Wait(200) && c.Connected;
        }
        catch (Exception e) when (e is SocketException or AggregateException)
        {
            return false;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static bool SignalTerminate(int pid)
    {
        try { return Kill(pid, 15) == 0; } // SIGTERM: Azurite closes its servers and saves its databases
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                // Data kept in a folder is written by Azurite every 5 s and when it shuts down on SIGTERM; a kill
                // would lose the last seconds of acknowledged writes (a published model, a run's final state).
                if (!_inMemory && (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) && SignalTerminate(_process.Id))
                    _process.WaitForExit(15_000);
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(5000);
                }
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        if (_dataDirectory is not null)
            try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
    }
}
