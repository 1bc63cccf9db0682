using Microsoft.Extensions.Configuration;

namespace SslRec.Pipeline.Settings;

/// <summary>
/// Everything a host reads from configuration, in one place: the storage connection, the notifier and the
/// pipeline options (section <c>SslRec:Pipeline</c>, app settings <c>SslRec__Pipeline__GateMaxRecallDrop</c> etc.).
/// The Functions app, the local host, the train worker and the CLI all start from here, so they cannot
/// drift apart in how a setting is spelt.
/// </summary>
public sealed record PipelineSettings(StorageSettings Storage, NotificationSettings Notifications, PipelineOptions Options)
{
    public const string OptionsSection = "SslRec:Pipeline";

    public static PipelineSettings From(IConfiguration configuration, bool requireStorage = false)
    {
        var options = configuration.GetSection(OptionsSection).Get<PipelineOptions>() ?? new PipelineOptions();
        options.Validate();
        return new(StorageSettings.From(configuration, requireStorage), NotificationSettings.From(configuration), options);
    }

    /// <summary>Settings for a local run on the given storage: notifications to the local queue.</summary>
    public static PipelineSettings Local(StorageSettings storage, PipelineOptions? options = null) =>
        new(storage, NotificationSettings.LocalQueue, options ?? new PipelineOptions());

    /// <summary>The process environment, as the Functions worker and the trainer container receive their settings.</summary>
    public static PipelineSettings FromEnvironment() => From(EnvironmentConfiguration());

    public static IConfiguration EnvironmentConfiguration() => new ConfigurationBuilder().AddEnvironmentVariables().Build();
}
