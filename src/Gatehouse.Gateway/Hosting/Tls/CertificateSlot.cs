using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gatehouse.Gateway.Hosting.Tls;

/// <summary>
/// One certificate as handshakes get it: server options with its prebuilt context (handed out as they are), and the
/// client-certificate trust that makes a per-handshake copy of them when client certificates are asked for.
/// </summary>
internal sealed record ServedCertificate(SslServerAuthenticationOptions Options, ClientCertificateTrust? ClientTrust);

/// <summary>
/// One configured certificate of the TLS port and what is served for it now. Each slot is reloaded on its own, so a
/// renewed file swaps only its certificate. Touched by the constructor of <see cref="ServerTls"/> and then only by
/// the single reload loop; handshakes read the table built from the slots, never a slot.
/// </summary>
internal sealed class CertificateSlot(TlsCertificateOptions files, string keyPrefix)
{
    public TlsCertificateOptions Files { get; } = files;

    /// <summary>The configuration section of this certificate, named in findings and logs.</summary>
    public string KeyPrefix { get; } = keyPrefix;

    /// <summary>What every handshake that selects this certificate is served.</summary>
    public ServedCertificate? Served { get; set; }

    /// <summary>The names this certificate answers: <see cref="TlsCertificateOptions.Hosts"/>, else the leaf's DNS names.</summary>
    public IReadOnlyList<string> Hosts { get; set; } = [];

    public string? LoadedFingerprint { get; set; }

    public string? RefusedFingerprint { get; set; }

    /// <summary>The configured hosts, or the DNS names of the leaf's subject alternative names (IP entries are not SNI names).</summary>
    public IReadOnlyList<string> HostsFor(X509Certificate2 leaf)
    {
        if (Files.Hosts.Count > 0)
        {
            var configured = new List<string>(Files.Hosts.Count);
            foreach (var host in Files.Hosts)
            {
                var normalized = SniHostNames.Normalize(host);
                if (!configured.Contains(normalized))
                {
                    configured.Add(normalized);
                }
            }

            return configured;
        }

        var names = new List<string>();
        foreach (var extension in leaf.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                foreach (var dns in san.EnumerateDnsNames())
                {
                    var host = SniHostNames.Normalize(dns);
                    if (SniHostNames.Problem(host) is null && !names.Contains(host))
                    {
                        names.Add(host);
                    }
                }
            }
        }

        return names;
    }

    /// <summary>
    /// SHA-256 over the files' contents, the trusted roots the check uses and the client CA bundle the served options
    /// carry; content rather than timestamps, so symlink swaps (Kubernetes secrets) count.
    /// </summary>
    public string Fingerprint(string? trustedRootsPath, string? clientCaPath)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in (string?[])[Files.CertificatePath, Files.CertificatePemPath, Files.KeyPemPath, trustedRootsPath, clientCaPath])
        {
            if (string.IsNullOrWhiteSpace(path))
            {
                continue;
            }

            try
            {
                hash.AppendData(File.ReadAllBytes(path));
            }
            catch (IOException)
            {
                // Missing or unreadable now: the load that follows reports it, with the file named.
                hash.AppendData("<missing>"u8);
            }
            catch (UnauthorizedAccessException)
            {
                hash.AppendData("<unreadable>"u8);
            }
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
