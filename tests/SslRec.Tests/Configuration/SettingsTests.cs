using Microsoft.Extensions.Configuration;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Notifications;
using SslRec.Pipeline.Storage;

namespace SslRec.Tests.Configuration;

/// <summary>
/// How settings are read, through the real environment-variable configuration provider (as app settings
/// reach the Functions worker and the trainer container). Each test uses its own variable prefix, which the
/// provider strips, so the tests can run in parallel without touching the variables SslRec itself reads.
/// </summary>
public class SettingsTests
{
    private static IConfiguration Environment(params string[] variables)
    {
        var prefix = $"SSLRECTEST{Guid.NewGuid():N}_";
        foreach (var v in variables)
        {
            var (name, value) = (v[..v.IndexOf('=')], v[(v.IndexOf('=') + 1)..]);
            System.Environment.SetEnvironmentVariable(prefix + name, value);
        }
        var config = new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build();
        foreach (var v in variables) System.Environment.SetEnvironmentVariable(prefix + v[..v.IndexOf('=')], null);
        return config;
    }

    [Fact]
    public void Storage_is_a_connection_string_or_an_identity_section_with_double_underscore_keys()
    {
        Assert.Equal("UseDevelopmentStorage=true", StorageSettings.From(Environment("AzureWebJobsStorage=UseDevelopmentStorage=true")).ConnectionString);

        var identity = StorageSettings.From(Environment("AzureWebJobsStorage__accountName=acct", "AzureWebJobsStorage__credential=managedidentity", "AzureWebJobsStorage__clientId=cid"));
        Assert.Null(identity.ConnectionString);
        Assert.True(identity.UsesIdentity);
        Assert.Equal(new Uri("https://acct.blob.core.windows.net"), identity.BlobServiceUri);
        Assert.Equal(new Uri("https://acct.queue.core.windows.net"), identity.QueueServiceUri);
        Assert.Equal(new AzureCredentials("managedidentity", "cid"), identity.Credentials);
        Assert.IsType<Azure.Identity.ManagedIdentityCredential>(identity.Credentials.Create());
        Assert.IsType<Azure.Identity.DefaultAzureCredential>(new AzureCredentials(null, null).Create()); // `az login` on a laptop

        var uris = StorageSettings.From(Environment("AzureWebJobsStorage__blobServiceUri=https://b.example/", "AzureWebJobsStorage__queueServiceUri=https://q.example/"));
        Assert.Equal(new Uri("https://q.example/"), uris.QueueServiceUri);

        // Nothing set: the local emulator on the command line, an error naming the setting in the Functions app.
        Assert.Equal(StorageSettings.DevelopmentStorage, StorageSettings.From(Environment()).ConnectionString);
        Assert.Contains("missing setting AzureWebJobsStorage", Assert.Throws<InvalidOperationException>(() => StorageSettings.From(Environment(), required: true)).Message);
    }

    [Theory]
    [InlineData("UseDevelopmentStorage=true", true)]
    [InlineData("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;", true)]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=a2V5;EndpointSuffix=core.windows.net", false)]
    public void The_emulator_is_recognised(string connection, bool emulator) =>
        Assert.Equal(emulator, new StorageSettings { ConnectionString = connection }.IsEmulator);

    [Fact]
    public void The_notifier_is_the_topic_when_service_bus_is_configured_and_the_queue_otherwise()
    {
        Assert.False(NotificationSettings.From(Environment()).UseServiceBus);
        var identity = NotificationSettings.From(Environment("ServiceBusConnection__fullyQualifiedNamespace=ns.servicebus.windows.net", "ServiceBusConnection__credential=managedidentity"));
        Assert.True(identity.UseServiceBus);
        Assert.Equal(new AzureCredentials("managedidentity", null), identity.Credentials);
        Assert.True(NotificationSettings.From(Environment("ServiceBusConnection=Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=a2V5")).UseServiceBus);
        Assert.False(NotificationSettings.From(Environment("ServiceBusConnection__fullyQualifiedNamespace=ns.servicebus.windows.net", "SSLREC_NOTIFY=queue")).UseServiceBus);
        Assert.Equal("t2", NotificationSettings.From(Environment("SSLREC_PUBLISHED_TOPIC=t2")).Topic);
        Assert.Equal("shop/v3", new PublishedNotification { Model = "shop", Version = "v3" }.MessageId); // the topic's duplicate-detection key
        Assert.Equal(ServiceBusNotifier.Topic, NotificationSettings.From(Environment()).Topic);
    }
}
