using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Pipeline.Messages;

namespace SslRec.Cli.Commands;

/// <summary>Turns the errors users can fix (bad data, bad schema, bad options) into one clear line and exit code 2.</summary>
public static class CommandRunner
{
    public static int Run(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (IsReported(e))
        {
            return Report(e);
        }
    }

    public static Task<int> RunAsync(Func<Task> action) => RunAsync(async () => { await action(); return 0; });

    /// <summary>Runs a command whose action decides its own exit code (e.g. 1 when a training attempt failed).</summary>
    public static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (IsReported(e))
        {
            return Report(e);
        }
    }

    /// <summary>The errors a user can act on (or caused, with Ctrl+C); anything else is a bug and keeps its stack trace.</summary>
    private static bool IsReported(Exception e) =>
        Pipeline.Storage.StorageResilience.IsUnreachable(e)
        || e is DataFormatException or SchemaException or ArgumentException or InvalidDataException
            or FileNotFoundException or DirectoryNotFoundException or InvalidOperationException
            or InvalidMessageException or Pipeline.Storage.ModelNotPublishedException or TimeoutException or Azure.RequestFailedException or Pipeline.RenewalFailedException
        || e is OperationCanceledException;

    /// <summary>One line on standard error and the exit code: 2 for an error, 130 when cancelled.</summary>
    private static int Report(Exception e)
    {
        // Unreachable first: it covers IOException and TimeoutException, which the generic line would show as the SDK's dump.
        if (Pipeline.Storage.StorageResilience.IsUnreachable(e)) Console.Error.WriteLine($"error: {Unreachable(e)}");
        else if (e is OperationCanceledException) { Console.Error.WriteLine("cancelled"); return 130; }
        else Console.Error.WriteLine($"error: {(e is Azure.RequestFailedException r ? StorageError(r) : e.Message)}");
        return 2;
    }

    /// <summary>Storage gave no answer at all: which endpoint, why, and what to check — not the SDK's retry dump.</summary>
    public static string Unreachable(Exception e)
    {
        var inner = e;
        while (inner is AggregateException { InnerExceptions.Count: > 0 } a) inner = a.InnerExceptions[^1];
        while (inner.InnerException is not null && inner is not System.Net.Sockets.SocketException) inner = inner.InnerException;
        var cause = inner.Message.Split('\n', 2)[0].Trim();
        var endpoint = System.Text.RegularExpressions.Regex.Match(e.ToString(), @"\(([^()\s]+:\d+)\)").Groups[1].Value;
        return $"storage unreachable{(endpoint.Length > 0 ? $" at {endpoint}" : "")} ({cause}) — check AzureWebJobsStorage, and that Azurite (npm install -g azurite) or the account is up";
    }

    /// <summary>
    /// One line for a storage error instead of the SDK's multi-line dump (status, headers, XML body), with
    /// what to do for the two a user meets first: missing data roles, and an emulator too old for SslRec.
    /// </summary>
    public static string StorageError(Azure.RequestFailedException e)
    {
        var first = e.Message.Split('\n', 2)[0].Trim();
        var hint = e.Status switch
        {
            403 => " — the signed-in identity has no data role for this operation; see docs/deploy.md (deployerPrincipalId)",
            400 when first.Contains("API version", StringComparison.OrdinalIgnoreCase) && first.Contains("Azurite", StringComparison.Ordinal) =>
                $" — SslRec talks to the emulator with service version {Pipeline.Settings.StorageSettings.EmulatorBlobVersion}; upgrade Azurite to 3.35 or newer (npm install -g azurite)",
            _ => "",
        };
        return $"storage answered {e.Status} {e.ErrorCode}: {first}{hint}";
    }
}
