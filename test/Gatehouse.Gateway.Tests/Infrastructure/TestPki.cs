using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gatehouse.Gateway.Tests.Infrastructure;

/// <summary>
/// A throw-away certificate hierarchy for TLS tests: root CA → intermediate CA → server leaf (for "localhost" and
/// 127.0.0.1), plus a client leaf issued by the same intermediate for mutual TLS. Generated in memory per test class
/// with ECDSA P-256, so nothing is read from or written to the machine's certificate stores.
/// </summary>
internal sealed class TestPki : IDisposable
{
    private TestPki(X509Certificate2 root, X509Certificate2 intermediate, X509Certificate2 server, X509Certificate2 client)
    {
        Root = root;
        Intermediate = intermediate;
        Server = server;
        Client = client;
    }

    /// <summary>Self-signed root, with its private key.</summary>
    public X509Certificate2 Root { get; }

    /// <summary>Intermediate CA issued by <see cref="Root"/>, with its private key.</summary>
    public X509Certificate2 Intermediate { get; }

    /// <summary>Server leaf issued by <see cref="Intermediate"/> (serverAuth; SAN localhost, 127.0.0.1, ::1), with its private key.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>Client leaf issued by <see cref="Intermediate"/> (clientAuth), with its private key.</summary>
    public X509Certificate2 Client { get; }

    public static TestPki Create(string name = "Gatehouse Test")
    {
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);

        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest($"CN={name} Root CA", rootKey, HashAlgorithmName.SHA256);
        AddCaExtensions(rootRequest, pathLength: 1);
        var root = rootRequest.CreateSelfSigned(now, now.AddYears(5));

        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intermediateRequest = new CertificateRequest($"CN={name} Intermediate CA", intermediateKey, HashAlgorithmName.SHA256);
        AddCaExtensions(intermediateRequest, pathLength: 0);
        intermediateRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var intermediatePublic = intermediateRequest.Create(root, now, now.AddYears(4), Serial());
        var intermediate = intermediatePublic.CopyWithPrivateKey(intermediateKey);

        var server = Leaf($"CN=localhost", intermediate, now, serverAuth: true);
        var client = Leaf($"CN={name} Client", intermediate, now, serverAuth: false);
        return new TestPki(root, intermediate, server, client);
    }

    /// <summary>Writes the server leaf and key as PEM files; <paramref name="withIntermediate"/> appends the intermediate to the certificate file.</summary>
    public (string CertPath, string KeyPath) WriteServerPem(string directory, bool withIntermediate)
        => WritePem(Server, directory, "server", withIntermediate);

    /// <summary>Writes the client leaf and key as PEM files; <paramref name="withIntermediate"/> appends the intermediate to the certificate file.</summary>
    public (string CertPath, string KeyPath) WriteClientPem(string directory, bool withIntermediate)
        => WritePem(Client, directory, "client", withIntermediate);

    /// <summary>
    /// Issues another leaf from <see cref="Intermediate"/>: a server leaf for <paramref name="dnsNames"/> (SNI tests) or,
    /// with <paramref name="serverAuth"/> false, a client leaf. The caller disposes it.
    /// </summary>
    public X509Certificate2 IssueLeaf(string subject, bool serverAuth, params string[] dnsNames)
        => Leaf(subject, Intermediate, DateTimeOffset.UtcNow.AddMinutes(-5), serverAuth, dnsNames);

    /// <summary>Writes <paramref name="leaf"/> (one of <see cref="IssueLeaf"/>) and its key as PEM files named after <paramref name="name"/>.</summary>
    public (string CertPath, string KeyPath) WriteLeafPem(X509Certificate2 leaf, string directory, string name, bool withIntermediate)
        => WritePem(leaf, directory, name, withIntermediate);

    /// <summary>Writes the root CA certificate (no key) as PEM; what a client or the gateway is told to trust.</summary>
    public string WriteRootPem(string directory)
    {
        var path = Path.Combine(directory, "root-ca.pem");
        File.WriteAllText(path, Root.ExportCertificatePem() + "\n");
        return path;
    }

    /// <summary>Exports the server leaf with its key (and optionally the intermediate) as a password-protected PKCS#12 file.</summary>
    public string WriteServerPfx(string directory, string password, bool withIntermediate)
    {
        var collection = new X509Certificate2Collection { Server };
        if (withIntermediate)
        {
            collection.Add(X509CertificateLoader.LoadCertificate(Intermediate.RawData));
        }

        var path = Path.Combine(directory, withIntermediate ? "server-chain.pfx" : "server.pfx");
        File.WriteAllBytes(path, collection.Export(X509ContentType.Pkcs12, password)!);
        return path;
    }

    /// <summary>Exports the client leaf with its key and the intermediate as a PKCS#12 file (null password: none).</summary>
    public string WriteClientPfx(string directory, string? password)
    {
        var collection = new X509Certificate2Collection { Client, X509CertificateLoader.LoadCertificate(Intermediate.RawData) };
        var path = Path.Combine(directory, "client-chain.pfx");
        File.WriteAllBytes(path, collection.Export(X509ContentType.Pkcs12, password)!);
        return path;
    }

    /// <summary>
    /// A remote-certificate callback that trusts only <see cref="Root"/> and builds the chain with nothing but what
    /// the server sent: the behaviour of a strict client with no intermediate cache and no AIA fetching.
    /// </summary>
    public bool StrictlyTrustsRoot(X509Certificate2 presented, X509Chain? sentChain)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (sentChain is not null)
        {
            // Only certificates the server actually sent (the leaf is element 0).
            for (var i = 1; i < sentChain.ChainElements.Count; i++)
            {
                var element = sentChain.ChainElements[i].Certificate;
                if (element.Thumbprint != Root.Thumbprint)
                {
                    chain.ChainPolicy.ExtraStore.Add(element);
                }
            }
        }

        return chain.Build(presented);
    }

    public void Dispose()
    {
        Root.Dispose();
        Intermediate.Dispose();
        Server.Dispose();
        Client.Dispose();
    }

    private static X509Certificate2 Leaf(string subject, X509Certificate2 issuer, DateTimeOffset now, bool serverAuth, string[]? dnsNames = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [serverAuth ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        if (serverAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            if (dnsNames is { Length: > 0 })
            {
                foreach (var dns in dnsNames)
                {
                    san.AddDnsName(dns);
                }
            }
            else
            {
                san.AddDnsName("localhost");
                san.AddIpAddress(System.Net.IPAddress.Loopback);
                san.AddIpAddress(System.Net.IPAddress.IPv6Loopback);
            }

            request.CertificateExtensions.Add(san.Build());
        }

        using var issued = request.Create(issuer, now, now.AddYears(2), Serial());
        return issued.CopyWithPrivateKey(key);
    }

    private static void AddCaExtensions(CertificateRequest request, int pathLength)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, pathLength, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
    }

    private static byte[] Serial() => RandomNumberGenerator.GetBytes(12);

    private (string CertPath, string KeyPath) WritePem(X509Certificate2 leaf, string directory, string name, bool withIntermediate)
    {
        var certPath = Path.Combine(directory, withIntermediate ? $"{name}-chain.pem" : $"{name}.pem");
        var keyPath = Path.Combine(directory, $"{name}.key");
        var pem = leaf.ExportCertificatePem() + "\n";
        if (withIntermediate)
        {
            pem += Intermediate.ExportCertificatePem() + "\n";
        }

        File.WriteAllText(certPath, pem);
        using var key = leaf.GetECDsaPrivateKey()!;
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        return (certPath, keyPath);
    }
}
