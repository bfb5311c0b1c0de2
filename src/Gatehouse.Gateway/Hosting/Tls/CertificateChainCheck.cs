using System.Security.Cryptography.X509Certificates;

namespace Gatehouse.Gateway.Hosting.Tls;

/// <summary>What the check found: errors make a strict client fail the handshake; warnings may.</summary>
internal sealed record ChainCheckResult(IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings)
{
    public bool IsClean => Errors.Count == 0 && Warnings.Count == 0;
}

/// <summary>One certificate of a built chain and the problems found with it.</summary>
internal readonly record struct ChainLink(X509Certificate2 Certificate, X509ChainStatusFlags Status);

/// <summary>
/// Checks at load that the certificate file would satisfy a strict client: one that trusts only its roots, keeps
/// no intermediate cache and fetches nothing (AIA), so it can build the chain only from what the server sends.
/// </summary>
/// <remarks>
/// The chain is built with the file's certificates as the only extra store and downloads off. A path that still
/// reaches a certificate not in the file (the machine's own intermediate store, on Linux
/// <c>~/.dotnet/corefx/cryptography/x509stores/ca</c>) counts as missing: this host would hide the gap that clients see.
/// Revocation is not checked: that needs the network, and an OCSP or CRL outage must not stop a gateway starting.
/// </remarks>
internal static class CertificateChainCheck
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string AnyExtendedKeyUsageOid = "2.5.29.37.0";

    /// <param name="certificate">The leaf and the other certificates of its file.</param>
    /// <param name="trustedRoots">Roots the chain must reach; null for the machine's system trust store.</param>
    /// <param name="now">Validity is checked at this instant.</param>
    public static ChainCheckResult Check(ServerCertificate certificate, X509Certificate2Collection? trustedRoots, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var leaf = certificate.Leaf;
        var errors = new List<string>();
        var warnings = new List<string>();

        if (!leaf.HasPrivateKey)
        {
            errors.Add($"TLS certificate '{leaf.Subject}' in {certificate.Source} has no private key.");
        }

        if (now < leaf.NotBefore)
        {
            errors.Add($"TLS certificate '{leaf.Subject}' in {certificate.Source} is not valid yet: valid from {Utc(leaf.NotBefore)}, now is {now.UtcDateTime:u}.");
        }
        else if (now > leaf.NotAfter)
        {
            errors.Add($"TLS certificate '{leaf.Subject}' in {certificate.Source} expired on {Utc(leaf.NotAfter)}.");
        }

        if (!AllowsServerAuth(leaf))
        {
            warnings.Add($"TLS certificate '{leaf.Subject}' in {certificate.Source} has an extended key usage without serverAuth ({ServerAuthOid}); most clients refuse it for a server.");
        }

        CheckChain(certificate, trustedRoots, now, errors, warnings);
        return new ChainCheckResult(errors, warnings);
    }

    private static void CheckChain(ServerCertificate certificate, X509Certificate2Collection? trustedRoots, DateTimeOffset now,
        List<string> errors, List<string> warnings)
    {
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.VerificationTime = now.UtcDateTime;
        policy.ExtraStore.AddRange(certificate.Extras);
        if (trustedRoots is not null)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(trustedRoots);
        }

        chain.Build(certificate.Leaf);
        var links = new ChainLink[chain.ChainElements.Count];
        for (var i = 0; i < links.Length; i++)
        {
            var element = chain.ChainElements[i];
            var flags = X509ChainStatusFlags.NoError;
            foreach (var status in element.ChainElementStatus)
            {
                flags |= status.Status;
            }

            links[i] = new ChainLink(element.Certificate, flags);
        }

        AnalyzeChain(certificate, links, chain.ChainStatus, systemTrust: trustedRoots is null, errors, warnings);
    }

    /// <summary>
    /// Reads a built chain (<paramref name="links"/>, leaf first) against the file it came from. Separate from the
    /// build so the verdicts can be tested on chains the machine's stores would not produce.
    /// </summary>
    internal static void AnalyzeChain(ServerCertificate certificate, IReadOnlyList<ChainLink> links, IReadOnlyList<X509ChainStatus> chainStatus,
        bool systemTrust, List<string> errors, List<string> warnings)
    {
        var trustSource = systemTrust ? "the system trust store" : $"{GatewayTlsOptions.Section}:{nameof(GatewayTlsOptions.TrustedRootsPath)}";

        // Walk up from the leaf; stop at the first certificate a client could not get from this file.
        var reached = 0;
        for (var i = 1; i < links.Count; i++)
        {
            var link = links[i].Certificate;
            if (!IsSelfIssued(link) && !Contains(certificate.Extras, link))
            {
                errors.Add(Missing(certificate, links[i - 1].Certificate, isLeaf: i == 1, "; this machine has it in its own certificate store, but clients do not"));
                return;
            }

            reached = i;
        }

        var last = links[reached].Certificate;
        if (!IsSelfIssued(last))
        {
            errors.Add(Missing(certificate, last, isLeaf: reached == 0, string.Empty));
            return;
        }

        // The leaf's own dates were checked with a clearer message already.
        for (var i = 1; i <= reached; i++)
        {
            if ((links[i].Status & X509ChainStatusFlags.NotTimeValid) != 0)
            {
                var c = links[i].Certificate;
                errors.Add($"TLS certificate chain of '{certificate.Leaf.Subject}' from {certificate.Source}: '{c.Subject}' is outside its validity ({Utc(c.NotBefore)} to {Utc(c.NotAfter)}).");
            }
        }

        foreach (var status in chainStatus)
        {
            if ((status.Status & X509ChainStatusFlags.UntrustedRoot) != 0)
            {
                errors.Add(reached == 0
                    ? $"TLS certificate '{certificate.Leaf.Subject}' in {certificate.Source} is self-signed and not trusted by {trustSource}; clients will refuse it."
                    : $"TLS certificate chain of '{certificate.Leaf.Subject}' ends at root '{last.Subject}', which is not trusted by {trustSource}.");
            }
            else if (!IsHandledElsewhere(status.Status))
            {
                errors.Add($"TLS certificate chain of '{certificate.Leaf.Subject}' from {certificate.Source} is invalid: {status.Status} ({status.StatusInformation.Trim()}).");
            }
        }

        // Certificates of the file the chain does not use are not sent (the serving context sends the built chain).
        foreach (var extra in certificate.Extras)
        {
            if (!InChain(links, extra))
            {
                warnings.Add($"TLS certificate file {certificate.Source} holds '{extra.Subject}', which is not in the chain of '{certificate.Leaf.Subject}'; it is not sent.");
            }
        }
    }

    /// <summary>The message operators search for: which certificate, issued by whom (with key id), is missing where.</summary>
    private static string Missing(ServerCertificate certificate, X509Certificate2 child, bool isLeaf, string detail)
    {
        var keyId = AuthorityKeyId(child);
        var fix = certificate.IsPem
            ? isLeaf ? "append that intermediate certificate after the leaf" : $"append that certificate after '{child.Subject}'"
            : "export the PKCS#12 file again with the whole chain";
        return $"TLS certificate chain is incomplete: '{child.Subject}' is issued by '{child.Issuer}'"
            + (keyId is null ? string.Empty : $" (key id {keyId})")
            + $", which is not in {certificate.Source}{detail}; {fix}, or trust it as a root if it is one.";
    }

    private static string? AuthorityKeyId(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509AuthorityKeyIdentifierExtension aki && aki.KeyIdentifier is { } id)
            {
                var hex = Convert.ToHexStringLower(id.Span);
                var parts = new string[hex.Length / 2];
                for (var i = 0; i < parts.Length; i++)
                {
                    parts[i] = hex.Substring(i * 2, 2);
                }

                return string.Join(':', parts);
            }
        }

        return null;
    }

    private static bool AllowsServerAuth(X509Certificate2 leaf)
    {
        foreach (var extension in leaf.Extensions)
        {
            if (extension is X509EnhancedKeyUsageExtension eku)
            {
                foreach (var oid in eku.EnhancedKeyUsages)
                {
                    if (oid.Value is ServerAuthOid or AnyExtendedKeyUsageOid)
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        // No EKU extension: the key may be used for any purpose (RFC 5280 §4.2.1.12).
        return true;
    }

    /// <summary>Statuses reported by the walk above, or not meaningful with revocation checking off.</summary>
    private static bool IsHandledElsewhere(X509ChainStatusFlags status) => status is X509ChainStatusFlags.NoError
        or X509ChainStatusFlags.PartialChain or X509ChainStatusFlags.UntrustedRoot or X509ChainStatusFlags.NotTimeValid
        or X509ChainStatusFlags.NotTimeNested or X509ChainStatusFlags.RevocationStatusUnknown or X509ChainStatusFlags.OfflineRevocation;

    private static bool IsSelfIssued(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    private static bool Contains(X509Certificate2Collection collection, X509Certificate2 certificate)
    {
        foreach (var candidate in collection)
        {
            if (candidate.RawData.AsSpan().SequenceEqual(certificate.RawData))
            {
                return true;
            }
        }

        return false;
    }

    private static bool InChain(IReadOnlyList<ChainLink> links, X509Certificate2 certificate)
    {
        foreach (var link in links)
        {
            if (link.Certificate.RawData.AsSpan().SequenceEqual(certificate.RawData))
            {
                return true;
            }
        }

        return false;
    }

    private static string Utc(DateTime local) => local.ToUniversalTime().ToString("u", System.Globalization.CultureInfo.InvariantCulture);
}
