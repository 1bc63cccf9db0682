using SslRec.Training.Loop;

namespace SslRec.Cli.Commands;

/// <summary>
/// Live progress on a terminal (one rewritten line on stderr, at most every 200 ms); when stderr is
/// redirected it prints only log lines, so logs and CI output stay clean.
/// </summary>
public sealed class ConsoleProgress : IDisposable
{
    private readonly bool _live = !Console.IsErrorRedirected;
    private DateTime _last = DateTime.MinValue;
    private bool _lineOpen;

    public void Log(string message)
    {
        EndLine();
        Console.Error.WriteLine(message);
    }

    public void Report(TrainingProgress p)
    {
        if (!_live) return;
        var now = DateTime.UtcNow;
        if (p.Step < p.TotalSteps && (now - _last).TotalMilliseconds < 200) return;
        _last = now;
        var width = 24;
        var done = (int)(width * (double)p.Step / Math.Max(1, p.TotalSteps));
        Console.Error.Write($"\r[{new string('#', done)}{new string('.', width - done)}] step {p.Step}/{p.TotalSteps} epoch {p.Epoch + 1} loss {p.Loss:F4} {p.ExamplesPerSecond:N0} ex/s   ");
        _lineOpen = true;
    }

    public void Finish() => EndLine();

    private void EndLine()
    {
        if (!_lineOpen) return;
        Console.Error.WriteLine();
        _lineOpen = false;
    }

    public void Dispose() => EndLine();
}
