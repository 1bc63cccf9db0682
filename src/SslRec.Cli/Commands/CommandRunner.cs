using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Pipeline.Messages;

namespace SslRec.Cli.Commands;

/// <summary>Turns the errors users can fix (bad data, bad schema, bad options) into one clear line and exit code 2.</summary>
public static class CommandRunner
{
    public static int Run(Action action) => RunAsync(() => { action(); return Task.CompletedTask; }).GetAwaiter().GetResult();

    public static async Task<int> RunAsync(Func<Task> action)
    {
        try
        {
            await action();
            return Environment.ExitCode;
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
