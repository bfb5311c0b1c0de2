namespace Gatehouse.Gateway.Hosting.Tls;

/// <summary>Checks the shape of <see cref="GatewayTlsOptions.Certificates"/>, naming each bad key by its index.</summary>
internal static class TlsCertificateListValidator
{
    public static void Validate(GatewayTlsOptions tls, List<string> errors)
    {
        var owners = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < tls.Certificates.Count; i++)
        {
            var entry = tls.Certificates[i];
            var key = $"{GatewayTlsOptions.Section}:{nameof(GatewayTlsOptions.Certificates)}:{i}";
            if (entry is null)
            {
                errors.Add($"{key} is empty; give {nameof(TlsCertificateOptions.CertificatePath)} or {nameof(TlsCertificateOptions.CertificatePemPath)}.");
                continue;
            }

            var hasPfx = !string.IsNullOrWhiteSpace(entry.CertificatePath);
            var hasPem = !string.IsNullOrWhiteSpace(entry.CertificatePemPath);
            if (hasPfx == hasPem)
            {
                errors.Add(hasPfx
                    ? $"{key}:{nameof(TlsCertificateOptions.CertificatePath)} (PKCS#12) and {key}:{nameof(TlsCertificateOptions.CertificatePemPath)} (PEM) are both set; set one of them."
                    : $"{key} has no certificate; set {key}:{nameof(TlsCertificateOptions.CertificatePath)} (PKCS#12) or {key}:{nameof(TlsCertificateOptions.CertificatePemPath)} (PEM).");
            }

            if (!string.IsNullOrWhiteSpace(entry.KeyPemPath) && !hasPem)
            {
                errors.Add($"{key}:{nameof(TlsCertificateOptions.KeyPemPath)} is set without {key}:{nameof(TlsCertificateOptions.CertificatePemPath)}; a PEM key needs its certificate file.");
            }

            for (var h = 0; h < entry.Hosts.Count; h++)
            {
                var hostKey = $"{key}:{nameof(TlsCertificateOptions.Hosts)}:{h}";
                var host = SniHostNames.Normalize(entry.Hosts[h]);
                if (SniHostNames.Problem(host) is { } problem)
                {
                    errors.Add($"{hostKey} '{entry.Hosts[h]}' {problem}.");
                }
                else if (!owners.TryAdd(host, i) && owners[host] != i)
                {
                    errors.Add($"{hostKey} '{host}' is also listed by {GatewayTlsOptions.Section}:{nameof(GatewayTlsOptions.Certificates)}:{owners[host]}; a server name selects one certificate.");
                }
            }
        }
    }
}

/// <summary>Server names as SNI carries them (RFC 6066 §3: a DNS host name, no IP address, no trailing dot).</summary>
internal static class SniHostNames
{
    /// <summary>Lower case without a trailing dot: how names are stored in the selection table.</summary>
    public static string Normalize(string? host) => (host ?? string.Empty).Trim().TrimEnd('.').ToLowerInvariant();

    /// <summary>Why <paramref name="host"/> (normalized) cannot be matched against a server name, or null when it can.</summary>
    public static string? Problem(string host)
    {
        if (host.Length == 0)
        {
            return "is empty";
        }

        if (host.Length > 253)
        {
            return "is longer than 253 characters";
        }

        var name = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
        if (name.Length == 0 || name.Contains('*', StringComparison.Ordinal))
        {
            return "is not a host name: a wildcard is allowed only as the whole first label ('*.example.com')";
        }

        if (System.Net.IPAddress.TryParse(name, out _))
        {
            return "is an IP address; clients send no server name (SNI) for IP addresses, so such a handshake gets the default certificate";
        }

        foreach (var label in name.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return "is not a host name (empty, over-long or hyphen-edged label)";
            }

            foreach (var c in label)
            {
                if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_'))
                {
                    return $"is not a host name (character '{c}'; internationalized names go in their xn-- form)";
                }
            }
        }

        return null;
    }
}
