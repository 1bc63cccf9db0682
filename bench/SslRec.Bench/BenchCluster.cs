using System.Diagnostics;
using SslRec.LocalHost;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;

/// <summary>
/// The local pipeline as users run it, for the process-level benchmarks (faults, scale): an Azurite that
/// keeps its data on disk, `sslrec` processes started with the settings as environment variables (their
/// output in one log file each), and a <see cref="PipelineContext"/> to drop data and read run records.
/// </summary>
sealed class BenchCluster : IDisposable
{
    private readonly string _sslrec;
    private readonly string _workDir;
    private readonly string _location;
    private readonly List<Process> _children = [];
    private readonly Dictionary<string, string> _env;

    public AzuriteProcess Azurite { get; private set; }
    public PipelineContext Context { get; }

    public BenchCluster(string sslrec, string workDir, IReadOnlyDictionary<string, string> settings)
    {
        _sslrec = sslrec;
        _workDir = workDir;
        Directory.CreateDirectory(workDir);
        _location = Path.Combine(workDir, "azurite");
        if (Directory.Exists(_location)) Directory.Delete(_location, recursive: true);
        Azurite = AzuriteProcess.StartAsync(inMemory: false, location: _location).GetAwaiter().GetResult();
        Context = PipelineContext.Create(new StorageSettings { ConnectionString = Azurite.ConnectionString });
        Context.EnsureInfrastructureAsync().GetAwaiter().GetResult();
        _env = new Dictionary<string, string>(settings) { ["AzureWebJobsStorage"] = Azurite.ConnectionString };
    }

    /// <summary>Starts `sslrec ARGS` with the cluster's settings; its output goes to {name}-{pid}.log.</summary>
    public Process Start(string name, params string[] args) => Start(name, null, args);

    /// <param name="env">environment of this process only, on top of the cluster's</param>
    public Process Start(string name, IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(_sslrec);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in _env) psi.Environment[k] = v;
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var p = Process.Start(psi)!;
        var log = new StreamWriter(Path.Combine(_workDir, $"{name}-{p.Id}.log")) { AutoFlush = true };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _children.Add(p);
        return p;
    }

    /// <summary>SIGKILL, as the OOM killer or a lost node would: no cleanup runs.</summary>
    public static void Kill9(Process p)
    {
        if (p.HasExited) return;
        Process.Start("kill", ["-9", p.Id.ToString()])!.WaitForExit();
        p.WaitForExit();
    }

    public void StopAll()
    {
        foreach (var p in _children) Kill9(p);
        _children.Clear();
    }

    /// <summary>Stops Azurite for <paramref name="outage"/>, then starts it again on the same ports and data.</summary>
    public void RestartStorage(TimeSpan outage)
    {
        var (blob, queue) = (Azurite.BlobPort, Azurite.QueuePort);
        Azurite.Dispose();
        Thread.Sleep(outage);
        Azurite = AzuriteProcess.StartAsync(blob, queue, inMemory: false, location: _location).GetAwaiter().GetResult();
    }

    public RunRecord WaitRun(string runId, Func<RunRecord, bool> until, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var r = Context.Runs.GetAsync(runId).GetAwaiter().GetResult();
            if (r is not null && until(r)) return r;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"run {runId}: not reached in {limit.TotalSeconds:F0} s (state {r?.State})");
            Thread.Sleep(250);
        }
    }

    /// <summary>Peak resident set of a running process (Linux VmHWM), MiB; null once it has exited.</summary>
    public static double? PeakRssMiB(Process p) => StatusMiB(p, "VmHWM:");

    /// <summary>A process's resident memory now (VmRSS).</summary>
    public static double? RssMiB(Process p) => StatusMiB(p, "VmRSS:");

    private static double? StatusMiB(Process p, string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{p.Id}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        StopAll();
        Azurite.Dispose();
    }
}
