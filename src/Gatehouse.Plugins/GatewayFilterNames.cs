namespace Gatehouse.Plugins;

/// <summary>
/// The names of the gateway's own mechanisms. They run on this contract like any filter, but are configured by their
/// dedicated policy members (<c>ipAccess</c>, <c>limits.maxBodyBytes</c>, <c>auth.*</c>, <c>rateLimit</c>,
/// <c>encryption</c>) and placed at fixed points of the chain, so their names are reserved: no catalog takes a factory
/// of one of these names, and <c>policy.filters</c> cannot name them.
/// </summary>
public static class GatewayFilterNames
{
    /// <summary>IP allow / deny lists of every level (<c>ipAccess</c>).</summary>
    public const string IpAccess = "ip-access";

    /// <summary>The request body limit (<c>limits.maxBodyBytes</c>).</summary>
    public const string BodyLimit = "body-limit";

    /// <summary>TLS client certificates (<c>auth.clientCertificate</c>).</summary>
    public const string ClientCertificate = "client-certificate";

    /// <summary>appKey/appSecret request signatures (<c>auth.sign</c>).</summary>
    public const string Signature = "signature";

    /// <summary>JWT bearer tokens (<c>auth.jwt</c>).</summary>
    public const string Jwt = "jwt";

    /// <summary>Login state checked with a session service (<c>auth.login</c>).</summary>
    public const string Login = "login";

    /// <summary>Rate limits of every level (<c>rateLimit</c>).</summary>
    public const string RateLimit = "rate-limit";

    /// <summary>Payload decryption and response sealing (<c>encryption</c>).</summary>
    public const string PayloadEncryption = "payload-encryption";

    /// <summary>Whether <paramref name="name"/> is one of the gateway's own mechanisms; null when not, else the policy member that configures it.</summary>
    public static string? ConfiguredBy(string? name) => name switch
    {
        IpAccess => "ipAccess",
        BodyLimit => "limits.maxBodyBytes",
        ClientCertificate => "auth.clientCertificate",
        Signature => "auth.sign",
        Jwt => "auth.jwt",
        Login => "auth.login",
        RateLimit => "rateLimit",
        PayloadEncryption => "encryption",
        _ => null,
    };
}
