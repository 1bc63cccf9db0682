using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;

namespace SslRec.Pipeline.Settings;

/// <summary>
/// The credential of an identity-based connection section, with the keys the Functions host reads
/// (Microsoft.Extensions.Azure's conventions): <c>credential</c> = <c>managedidentity</c> selects the managed
/// identity (user-assigned when <c>clientId</c> is set, else system-assigned); otherwise
/// DefaultAzureCredential, which also covers `az login` on a developer's machine and AZURE_CLIENT_ID.
/// </summary>
public sealed record AzureCredentials(string? Credential, string? ClientId)
{
    public const string ManagedIdentity = "managedidentity";

    public static AzureCredentials From(IConfigurationSection section)
    {
        var credential = NullIfBlank(section["credential"]);
        if (credential is not null && !credential.Equals(ManagedIdentity, StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"setting {SettingName(section, "credential")} must be '{ManagedIdentity}' or absent (got '{credential}')");
        return new AzureCredentials(credential, NullIfBlank(section["clientId"]));
    }

    public TokenCredential Create()
    {
        if (Credential is not null)
            return new ManagedIdentityCredential(ClientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(ClientId));
        var options = new DefaultAzureCredentialOptions();
        if (ClientId is not null) options.ManagedIdentityClientId = ClientId;
        return new DefaultAzureCredential(options);
    }

    /// <summary>How a section key is written as an app setting / environment variable (":" becomes "__").</summary>
    public static string SettingName(IConfigurationSection section, string key) => $"{section.Path}:{key}".Replace(":", "__");

    internal static string? NullIfBlank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
