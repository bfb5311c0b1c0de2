using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gatehouse.Gateway.Hosting.Tls;

/// <summary>
/// How client certificates on the TLS port are verified: a chain to one of the roots of
/// <see cref="GatewayTlsOptions.ClientCaPath"/> only (<see cref="X509ChainTrustMode.CustomRootTrust"/>, never the system
/// store), built from what the client sent plus the bundle's intermediates, no downloads (an AIA fetch in a handshake
/// would stall it on the network), no revocation check, and the clientAuth extended key usage.
/// </summary>
/// <remarks>
/// Each handshake gets a chain policy of its own with its own certificate instances: SslStream builds the client's
/// chain on the policy object it is handed (not a copy), adds the certificates the client sent to that policy's extra
/// store, and disposes the chain's certificates afterwards; a shared policy would collect every client's
/// intermediates and be read and written by concurrent handshakes. Parsing the few certificates of a bundle costs
/// far less than the handshake itself.
/// </remarks>
internal sealed class ClientCertificateTrust
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private readonly byte[][] _roots;
    private readonly byte[][] _intermediates;
    private readonly RemoteCertificateValidationCallback _callback;

    private ClientCertificateTrust(byte[][] roots, byte[][] intermediates, TlsClientCertificateMode mode)
    {
        _roots = roots;
        _intermediates = intermediates;
        _callback = Callback(mode);
    }

    /// <summary>The trust for <paramref name="options"/>; null when client certificates are off.</summary>
    public static ClientCertificateTrust? Load(GatewayTlsOptions options)
    {
        if (options.ClientCertificates == TlsClientCertificateMode.None)
        {
            return null;
        }

        var key = $"{GatewayTlsOptions.Section}:{nameof(GatewayTlsOptions.ClientCaPath)}";
        var path = options.ClientCaPath!;
        if (!File.Exists(path))
        {
            throw new TlsConfigurationException($"TLS client CA file {path} ({key}) does not exist (working directory {Directory.GetCurrentDirectory()}).");
        }

        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPemFile(path);
        }
        catch (CryptographicException e)
        {
            throw new TlsConfigurationException($"TLS client CA file {path} ({key}) is not a valid PEM bundle ({e.Message})", e);
        }

        var roots = new List<byte[]>();
        var intermediates = new List<byte[]>();
        foreach (var certificate in all)
        {
            var selfIssued = certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);
            (selfIssued ? roots : intermediates).Add(certificate.RawData);
            certificate.Dispose();
        }

        return roots.Count > 0 ? new ClientCertificateTrust([.. roots], [.. intermediates], options.ClientCertificates)
            : throw new TlsConfigurationException(
                $"TLS client CA file {path} ({key}) holds {all.Count} certificate(s) but no root (self-signed) certificate; client chains must end at a root of this file.");
    }

    /// <summary>The served options of a certificate with a client-certificate request and a fresh chain policy, for one handshake.</summary>
    public SslServerAuthenticationOptions ForHandshake(SslServerAuthenticationOptions served)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.ApplicationPolicy.Add(new Oid(ClientAuthOid));
        foreach (var root in _roots)
        {
            policy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificate(root));
        }

        foreach (var intermediate in _intermediates)
        {
            policy.ExtraStore.Add(X509CertificateLoader.LoadCertificate(intermediate));
        }

        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = served.ServerCertificateContext,
            EnabledSslProtocols = served.EnabledSslProtocols,
            ApplicationProtocols = served.ApplicationProtocols,
            CertificateRevocationCheckMode = served.CertificateRevocationCheckMode,

            // Optional mode asks too (a client only sends a certificate when asked); the callback lets "none" through.
            ClientCertificateRequired = true,

            // A resumed session brings back the client's leaf but not the intermediates it sent (OpenSSL keeps only the
            // peer certificate), so its chain could not be rebuilt and every resumption was refused. New connections
            // pay a full handshake; keep-alive and HTTP/2 spread it over many requests.
            AllowTlsResume = false,
            CertificateChainPolicy = policy,
            RemoteCertificateValidationCallback = _callback,
        };
    }

    /// <summary>Require: only a verified certificate passes. Optional: no certificate passes too; a bad one never does.</summary>
    private static RemoteCertificateValidationCallback Callback(TlsClientCertificateMode mode) => mode == TlsClientCertificateMode.Require
        ? static (_, _, _, errors) => errors == SslPolicyErrors.None
        : static (_, certificate, _, errors) => errors == SslPolicyErrors.None
            || (certificate is null && errors == SslPolicyErrors.RemoteCertificateNotAvailable);
}
