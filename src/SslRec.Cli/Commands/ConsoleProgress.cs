using System.Globalization;
using SslRec.Training.Loop;

namespace SslRec.Cli.Commands;

/// <summary>
/// Training progress on stderr. On a terminal: one rewritten line, at most every 200 ms. Redirected (a log
/// file, CI, a container's log stream): one plain line every <see cref="LogInterval"/> and one at the last
/// step, so a long training shows it is alive without flooding the log with a line per step.
/// </summary>
public sealed class ConsoleProgress(TextWriter? output = null, bool? live = null, TimeSpan? logInterval = null, Func<DateTime>? clock = null) : IDisposable
{
    public static readonly TimeSpan DefaultLogInterval = TimeSpan.FromSeconds(15);

    private readonly TextWriter _out = output ?? Console.Error;
    private readonly bool _live = live ?? !Console.IsErrorRedirected;
    private readonly Func<DateTime> _now = clock ?? (() => DateTime.UtcNow);
    private DateTime? _last;
    private bool _lineOpen;

    public TimeSpan LogInterval { get; } = logInterval ?? DefaultLogInterval;

    public void Log(string message)
    {
        EndLine();
        _out.WriteLine(message);
    }

    public void Report(TrainingProgress p)
    {
        var now = _now();
        var done = p.Step >= p.TotalSteps;
        if (_live)
        {
            if (!done && _last is { } shown && (now - shown).TotalMilliseconds < 200) return;
            _last = now;
            var width = 24;
            var filled = (int)(width * (double)p.Step / Math.Max(1, p.TotalSteps));
            _out.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {Line(p)}   ");
            _lineOpen = true;
            return;
        }
        // Redirected: the interval counts from the first report, so a training of a few seconds prints only its last step.
        _last ??= now;
        if (!done && now - _last.Value < LogInterval) return;
        _last = now;
        _out.WriteLine(Line(p));
    }

    private static string Line(TrainingProgress p) =>
        string.Create(CultureInfo.InvariantCulture, $"step {p.Step:N0}/{p.TotalSteps:N0} epoch {p.Epoch + 1} loss {p.Loss:F4} {p.ExamplesPerSecond:N0} ex/s");

    public void Finish() => EndLine();

    private void EndLine()
    {
        if (!_lineOpen) return;
        _out.WriteLine();
        _lineOpen = false;
    }

    public void Dispose() => EndLine();
}
