using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.Logging;

namespace SslRec.Pipeline.Storage;

/// <summary>What a storage client is for, which decides how long it waits out an outage.</summary>
public enum StorageClientUse
{
    /// <summary>Hosts and workers (`sslrec host`, `train-worker`, the Functions app): ride out outages of minutes.</summary>
    Service,
    /// <summary>One-shot commands (`status`, `drop`, `recommend`): fail within seconds, in one line naming the endpoint.</summary>
    Command,
}

/// <summary>
/// Retry settings per <see cref="StorageClientUse"/>, and one log line when storage becomes unreachable and
/// one when it is back (<see cref="StorageOutageLog"/>). The SDK's default (3 retries, ~30 s) let a host's
/// queue listener give up during a 30-second outage and take the process down, and made `sslrec status`
/// print a stack trace after 30 s.
/// </summary>
public static class StorageResilience
{
    /// <summary>A service's calls keep retrying for about 14 minutes (1, 2, 4, 8, 16, then every 30 s).</summary>
    public const int ServiceMaxRetries = 32;

    public static T Apply<T>(T options, StorageClientUse use) where T : ClientOptions
    {
        options.Retry.Mode = RetryMode.Exponential;
        if (use == StorageClientUse.Service)
        {
            options.Retry.MaxRetries = ServiceMaxRetries;
            options.Retry.Delay = TimeSpan.FromSeconds(1);
            options.Retry.MaxDelay = TimeSpan.FromSeconds(30);
            options.AddPolicy(StorageOutageLog.Policy, HttpPipelinePosition.PerRetry);
        }
        else
        {
            options.Retry.MaxRetries = 2;
            options.Retry.Delay = TimeSpan.FromSeconds(0.5);
            options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
            options.Retry.NetworkTimeout = TimeSpan.FromSeconds(15);
        }
        return options;
    }

    /// <summary>Whether an error means the endpoint could not be reached at all (no HTTP answer), after the client's retries.</summary>
    public static bool IsUnreachable(Exception e) => e switch
    {
        RequestFailedException { Status: 0 } => true,
        AggregateException a => a.InnerExceptions.Count > 0 && a.InnerExceptions.All(IsUnreachable),
        HttpRequestException or System.Net.Sockets.SocketException or IOException or TimeoutException => true,
        _ => false,
    };
}

/// <summary>
/// Logs storage outages per endpoint: one warning when a request first finds it unreachable, one line when
/// a request gets an answer again, nothing in between (the retries are silent). Process-wide, as the
/// condition is: every client of the process shares one policy.
/// </summary>
public sealed class StorageOutageLog : HttpPipelinePolicy
{
    public static readonly StorageOutageLog Policy = new();

    /// <summary>Where the lines go; hosts set it to their logger (default: standard error).</summary>
    public static ILogger? Logger { get; set; }

    private readonly Dictionary<string, DateTimeOffset> _downSince = new();

    // The SDK's synchronous path: with async: false nothing below awaits, so the task is already complete (the Azure SDK's own pattern).
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline, async: false).AsTask().GetAwaiter().GetResult();

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline, async: true);

    private async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async)
    {
        var endpoint = $"{message.Request.Uri.Scheme}://{message.Request.Uri.Host}:{message.Request.Uri.Port}";
        try
        {
            if (async) await ProcessNextAsync(message, pipeline);
            else ProcessNext(message, pipeline);
        }
        catch (Exception e) when (!message.CancellationToken.IsCancellationRequested)
        {
            Down(endpoint, e);
            throw;
        }
        Up(endpoint);
    }

    private void Down(string endpoint, Exception e)
    {
        lock (_downSince)
        {
            if (_downSince.ContainsKey(endpoint)) return;
            _downSince[endpoint] = DateTimeOffset.UtcNow;
        }
        Write(LogLevel.Warning, $"storage unreachable at {endpoint} ({e.GetType().Name}: {e.Message.Split('\n', 2)[0].Trim()}); retrying until it is back");
    }

    private void Up(string endpoint)
    {
        DateTimeOffset since;
        lock (_downSince)
        {
            if (!_downSince.Remove(endpoint, out since)) return;
        }
        Write(LogLevel.Information, $"storage reachable again at {endpoint} after {(DateTimeOffset.UtcNow - since).TotalSeconds:F0} s");
    }

    private static void Write(LogLevel level, string line)
    {
        if (Logger is { } logger) logger.Log(level, "{Line}", line);
        else Console.Error.WriteLine(line);
    }
}
