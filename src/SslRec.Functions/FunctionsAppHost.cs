using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using SslRec.Pipeline;
using SslRec.Pipeline.Settings;

namespace SslRec.Functions;

/// <summary>
/// Builds the isolated-worker host. Program.cs calls this and nothing else, so the contract tests build
/// exactly the host Azure starts: app settings arrive as environment variables and are read as
/// configuration sections (AzureWebJobsStorage__accountName → AzureWebJobsStorage:accountName).
/// </summary>
public static class FunctionsAppHost
{
    public static IHost Build(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        var hostJson = Path.Combine(AppContext.BaseDirectory, HostJsonSettings.FileName);
        var maxDequeueCount = HostJsonSettings.MaxDequeueCount(File.Exists(hostJson) ? HostJsonSettings.QueueConfiguration(hostJson) : new Dictionary<string, string?>());
        builder.Services.AddSslRecPipeline(builder.Configuration, maxDequeueCount, requireStorage: true);
        return builder.Build();
    }
}
