namespace Gatehouse.Core.Config;

public static partial class ConfigValidator
{
    /// <remarks>
    /// File paths, when given, are not blank. A client certificate is either the PEM pair (<c>clientCertFile</c> and
    /// <c>clientKeyFile</c>, both or neither) or <c>clientPfxFile</c>, not both; <c>clientPfxPasswordRef</c> only with
    /// <c>clientPfxFile</c> and an environment variable name. <c>serverName</c>, when given, a DNS name or IP address.
    /// <c>insecureSkipVerify</c> excludes <c>caFile</c> and <c>serverName</c>, which it would silently ignore. Whether the
    /// files exist and hold what they should is checked when the gateway compiles the snapshot: they live on the
    /// gateway's machine, not where the config is written.
    /// </remarks>
    private static void ValidateUpstreamTls(Errors errors, string entry, UpstreamTlsConfig tls)
    {
        CheckFilePath(errors, $"{entry}.caFile", tls.CaFile);
        CheckFilePath(errors, $"{entry}.clientCertFile", tls.ClientCertFile);
        CheckFilePath(errors, $"{entry}.clientKeyFile", tls.ClientKeyFile);
        CheckFilePath(errors, $"{entry}.clientPfxFile", tls.ClientPfxFile);

        if (tls.ClientCertFile is not null && tls.ClientKeyFile is null)
        {
            errors.Add($"{entry}.clientKeyFile", "clientCertFile needs clientKeyFile (the PEM private key of the certificate)");
        }
        else if (tls.ClientKeyFile is not null && tls.ClientCertFile is null)
        {
            errors.Add($"{entry}.clientCertFile", "clientKeyFile needs clientCertFile (the PEM certificate of the key)");
        }

        if (tls.ClientPfxFile is not null && (tls.ClientCertFile is not null || tls.ClientKeyFile is not null))
        {
            errors.Add($"{entry}.clientPfxFile", "give either clientPfxFile or the clientCertFile/clientKeyFile pair, not both");
        }

        if (tls.ClientPfxPasswordRef is { } reference)
        {
            if (tls.ClientPfxFile is null)
            {
                errors.Add($"{entry}.clientPfxPasswordRef", "only applies with clientPfxFile");
            }
            else if (!IsEnvironmentVariableName(reference))
            {
                errors.Add($"{entry}.clientPfxPasswordRef", $"'{reference}' is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
            }
        }

        if (tls.ServerName is { } serverName && Uri.CheckHostName(serverName) is UriHostNameType.Unknown or UriHostNameType.Basic)
        {
            errors.Add($"{entry}.serverName", $"'{serverName}' is not a host name or IP address (no scheme, port or path)");
        }

        if (tls.InsecureSkipVerify && (tls.CaFile is not null || tls.ServerName is not null))
        {
            errors.Add($"{entry}.insecureSkipVerify", "turns certificate verification off, so caFile and serverName would be ignored; remove one or the other");
        }
    }

    private static void CheckFilePath(Errors errors, string entry, string? path)
    {
        if (path is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(path))
        {
            errors.Add(entry, "file path must not be blank; leave the key out instead");
        }
        else if (path.Any(char.IsControl))
        {
            errors.Add(entry, "file path must not contain control characters");
        }
    }
}
