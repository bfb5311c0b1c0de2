using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Gatehouse.Gateway.Forwarding;

/// <summary>
/// The loaded TLS material of one service's upstream connections (<c>services[].upstreamTls</c>): trusted roots, the
/// client certificate with its chain, the name to verify. Built by <see cref="UpstreamTlsLoader"/> when a snapshot is
/// compiled; applied to a connection pool's handler by <see cref="Apply"/>.
/// </summary>
/// <remarks>
/// Equality is by <see cref="Fingerprint"/>, a hash of the certificates' SHA-256 thumbprints and the switches, never by
/// object identity: reloading an unchanged config yields equal settings, so <see cref="UpstreamClientFactory"/> keeps the
/// warm pool, while new file content (a rotated CA or client certificate) yields a new pool. A private key needs no part
/// in it: it was checked to match its certificate, whose thumbprint is included.
/// </remarks>
internal sealed class UpstreamTlsSettings : IEquatable<UpstreamTlsSettings>
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");

    internal UpstreamTlsSettings(X509Certificate2Collection? trustedRoots, SslStreamCertificateContext? clientCertificate,
        string? serverName, bool insecureSkipVerify)
    {
        TrustedRoots = trustedRoots;
        ClientCertificate = clientCertificate;
        ServerName = serverName;
        InsecureSkipVerify = insecureSkipVerify;
        Fingerprint = ComputeFingerprint();
    }

    /// <summary>Roots that replace the machine's trust store for this service; null: the machine's store.</summary>
    public X509Certificate2Collection? TrustedRoots { get; }

    /// <summary>Client certificate (with key and intermediates) presented to nodes; null: none.</summary>
    public SslStreamCertificateContext? ClientCertificate { get; }

    /// <summary>Name node certificates must match; null: the node's host.</summary>
    public string? ServerName { get; }

    public bool InsecureSkipVerify { get; }

    /// <summary>Hex SHA-256 over everything that decides how a connection is made; the identity of these settings.</summary>
    public string Fingerprint { get; }

    /// <summary>Subject of the client certificate, for logs; null without one.</summary>
    public string? ClientSubject => ClientCertificate?.TargetCertificate.Subject;

    /// <summary>Configures <paramref name="handler"/>'s TLS. Costs nothing per request: callbacks run once per new connection.</summary>
    public void Apply(SocketsHttpHandler handler)
    {
        var ssl = handler.SslOptions;
        if (ClientCertificate is { } client)
        {
            // The context carries the intermediates, so a node that trusts only the root can build the chain.
            ssl.ClientCertificateContext = client;
        }

        if (InsecureSkipVerify || TrustedRoots is not null || ServerName is not null)
        {
            ssl.RemoteCertificateValidationCallback = ValidateServerCertificate;
        }
    }

    /// <summary>The node certificate check: chain to the configured roots (or the machine's), name, server-auth usage.</summary>
    internal bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? sentChain, SslPolicyErrors errors)
    {
        if (InsecureSkipVerify)
        {
            return true;
        }

        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (TrustedRoots is null)
        {
            // The platform already built the chain against the machine's store; only the name is checked differently.
            return (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None && MatchesName(sender, leaf);
        }

        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(TrustedRoots);
        // Private CAs rarely publish revocation lists, and fetching AIA/CRL URLs from a gateway is a network call in the
        // handshake that an attacker-supplied certificate could point anywhere.
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.ApplicationPolicy.Add(ServerAuth);
        if (sentChain is not null)
        {
            // Intermediates the node sent in the handshake, so it need not be configured with them.
            policy.ExtraStore.AddRange(sentChain.ChainPolicy.ExtraStore);
            for (var i = 1; i < sentChain.ChainElements.Count; i++)
            {
                policy.ExtraStore.Add(sentChain.ChainElements[i].Certificate);
            }
        }

        return chain.Build(leaf) && MatchesName(sender, leaf);
    }

    private bool MatchesName(object sender, X509Certificate2 leaf)
    {
        var name = ServerName ?? (sender as SslStream)?.TargetHostName;
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        // Uri hosts keep IPv6 literals in brackets; certificates hold the bare address.
        if (name.StartsWith('[') && name.EndsWith(']'))
        {
            name = name[1..^1];
        }

        return leaf.MatchesHostname(name, allowWildcards: true, allowCommonName: false);
    }

    private string ComputeFingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string part) => hash.AppendData(Encoding.UTF8.GetBytes(part + "\n"));

        Add(InsecureSkipVerify ? "insecure" : "verify");
        Add("name:" + ServerName);
        if (TrustedRoots is not null)
        {
            // Sorted: the order of certificates in the bundle does not change what is trusted.
            var thumbprints = new List<string>(TrustedRoots.Count);
            foreach (var root in TrustedRoots)
            {
                thumbprints.Add(root.GetCertHashString(HashAlgorithmName.SHA256));
            }

            thumbprints.Sort(StringComparer.Ordinal);
            Add("roots:" + string.Join(',', thumbprints));
        }

        if (ClientCertificate is { } client)
        {
            Add("client:" + client.TargetCertificate.GetCertHashString(HashAlgorithmName.SHA256));
            foreach (var intermediate in client.IntermediateCertificates)
            {
                Add("via:" + intermediate.GetCertHashString(HashAlgorithmName.SHA256));
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public bool Equals(UpstreamTlsSettings? other) =>
        other is not null && (ReferenceEquals(this, other) || string.Equals(Fingerprint, other.Fingerprint, StringComparison.Ordinal));

    public override bool Equals(object? obj) => Equals(obj as UpstreamTlsSettings);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Fingerprint);

    public override string ToString() => $"UpstreamTls({Fingerprint[..12]})";
}
