using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Pipeline.Messages;

namespace SslRec.Cli.Commands;

/// <summary>Turns the errors users can fix (bad data, bad schema, bad options) into one clear line and exit code 2.</summary>
public static class CommandRunner
{
    public static int Run(Action action) => RunAsync(() => { action(); return Task.CompletedTask; }).GetAwaiter().GetResult();

    public static Task<int> RunAsync(Func<Task> action) => RunAsync(async () => { await action(); return 0; });

    /// <summary>Runs a command whose action decides its own exit code (e.g. 1 when a training attempt failed).</summary>
    public static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is DataFormatException or SchemaException or ArgumentException or InvalidDataException
                                      or FileNotFoundException or DirectoryNotFoundException or InvalidOperationException
                                      or InvalidMessageException or TimeoutException or Azure.RequestFailedException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
    }
}
