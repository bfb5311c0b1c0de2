using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gatehouse.Core.Config;

namespace Gatehouse.Gateway.Forwarding;

/// <summary>
/// Reads the files of a validated <see cref="UpstreamTlsConfig"/> into <see cref="UpstreamTlsSettings"/>. Runs when a
/// snapshot is compiled; every problem becomes a <see cref="ConfigError"/> naming the field, so a missing file, bad PEM
/// or a key that does not match its certificate rejects the snapshot and the gateway keeps serving the current one.
/// </summary>
/// <remarks>
/// Relative paths resolve against the gateway's working directory. Files are read again on every compile, so a
/// rotated certificate is picked up by the next config change; an unchanged config is not recompiled (see
/// docs/configuration.md).
/// </remarks>
internal static class UpstreamTlsLoader
{
    /// <summary>Returns the settings, or null (and adds to <paramref name="errors"/>) when a file is unusable.</summary>
    /// <param name="tls">The service's TLS block; null returns null without errors.</param>
    /// <param name="entry">Entry path of the block, e.g. <c>services[orders].upstreamTls</c>.</param>
    /// <param name="source">Source of the config, for the errors.</param>
    /// <param name="environment">Reads environment variables (PFX password).</param>
    /// <param name="errors">Collects problems.</param>
    public static UpstreamTlsSettings? Load(UpstreamTlsConfig? tls, string entry, string? source, Func<string, string?> environment,
        List<ConfigError> errors)
    {
        if (tls is null)
        {
            return null;
        }

        var start = errors.Count;
        void Fail(string field, string message) => errors.Add(new ConfigError(source, $"{entry}.{field}", message));

        X509Certificate2Collection? roots = null;
        if (tls.CaFile is { } caFile && ReadText(caFile, "caFile", Fail) is { } caPem)
        {
            roots = ImportCertificates(caPem, caFile, "caFile", Fail);
        }

        SslStreamCertificateContext? client = null;
        if (tls.ClientCertFile is { } certFile && tls.ClientKeyFile is { } keyFile)
        {
            client = LoadPemPair(certFile, keyFile, Fail);
        }
        else if (tls.ClientPfxFile is { } pfxFile)
        {
            client = LoadPfx(pfxFile, tls.ClientPfxPasswordRef, environment, Fail);
        }

        return errors.Count > start ? null : new UpstreamTlsSettings(roots, client, tls.ServerName, tls.InsecureSkipVerify);
    }

    private static string? ReadText(string path, string field, Action<string, string> fail)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            fail(field, $"cannot read '{path}': {ex.Message}");
            return null;
        }
    }

    /// <summary>Every certificate of a PEM text; null (and an error) when there is none or a block is malformed.</summary>
    private static X509Certificate2Collection? ImportCertificates(string pem, string path, string field, Action<string, string> fail)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(pem);
        }
        catch (CryptographicException ex)
        {
            // Strict: a bundle with one broken block would otherwise trust fewer roots (or send a shorter chain) silently.
            fail(field, $"'{path}' holds a malformed PEM certificate: {ex.Message}");
            return null;
        }

        // A block whose base64 does not decode is skipped by the PEM reader rather than reported: count the labels.
        var blocks = CountOccurrences(pem, "-----BEGIN CERTIFICATE-----");
        if (blocks > collection.Count)
        {
            fail(field, $"'{path}' holds a malformed PEM certificate: {blocks - collection.Count} of {blocks} CERTIFICATE blocks cannot be read");
            return null;
        }

        if (collection.Count == 0)
        {
            fail(field, $"'{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
            return null;
        }

        return collection;
    }

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static SslStreamCertificateContext? LoadPemPair(string certFile, string keyFile, Action<string, string> fail)
    {
        var certPem = ReadText(certFile, "clientCertFile", fail);
        var keyPem = ReadText(keyFile, "clientKeyFile", fail);
        if (certPem is null || keyPem is null)
        {
            return null;
        }

        var chain = ImportCertificates(certPem, certFile, "clientCertFile", fail);
        if (chain is null)
        {
            return null;
        }

        if (!keyPem.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            fail("clientKeyFile", $"'{keyFile}' holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
            return null;
        }

        if (keyPem.Contains("ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal))
        {
            fail("clientKeyFile", $"'{keyFile}' holds an encrypted key; use an unencrypted PEM key, or clientPfxFile with clientPfxPasswordRef");
            return null;
        }

        X509Certificate2 leaf;
        try
        {
            // The first certificate of the file is the leaf (the order TLS sends them in), the rest its intermediates.
            leaf = X509Certificate2.CreateFromPem(chain[0].ExportCertificatePem(), keyPem);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            // A key of another certificate is an ArgumentException ("does not match the public key"), a malformed one cryptographic.
            fail("clientKeyFile", $"'{keyFile}' is not the private key of the first certificate in '{certFile}' or cannot be read: {ex.Message}");
            return null;
        }

        return CreateContext(leaf, chain, 1);
    }

    private static SslStreamCertificateContext? LoadPfx(string pfxFile, string? passwordRef, Func<string, string?> environment,
        Action<string, string> fail)
    {
        string? password = null;
        if (passwordRef is not null)
        {
            password = environment(passwordRef);
            if (string.IsNullOrEmpty(password))
            {
                fail("clientPfxPasswordRef", $"environment variable '{passwordRef}' is not set (or empty) on this gateway");
                return null;
            }
        }

        X509Certificate2Collection all;
        try
        {
            all = X509CertificateLoader.LoadPkcs12CollectionFromFile(pfxFile, password);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            fail("clientPfxFile", $"cannot read '{pfxFile}': {ex.Message}");
            return null;
        }
        catch (CryptographicException ex)
        {
            fail("clientPfxFile", $"'{pfxFile}' is not a PKCS#12 file or the password is wrong: {ex.Message}");
            return null;
        }

        var leafIndex = -1;
        for (var i = 0; i < all.Count; i++)
        {
            if (all[i].HasPrivateKey)
            {
                leafIndex = i;
                break;
            }
        }

        if (leafIndex < 0)
        {
            fail("clientPfxFile", $"'{pfxFile}' holds no certificate with a private key");
            return null;
        }

        var leaf = all[leafIndex];
        all.RemoveAt(leafIndex);
        return CreateContext(leaf, all, 0);
    }

    private static SslStreamCertificateContext CreateContext(X509Certificate2 leaf, X509Certificate2Collection chain, int firstIntermediate)
    {
        var intermediates = new X509Certificate2Collection();
        for (var i = firstIntermediate; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }

        if (OperatingSystem.IsWindows())
        {
            // SChannel cannot use an ephemeral (PEM-imported) key in a handshake; a PKCS#12 round trip persists it in memory.
            leaf = X509CertificateLoader.LoadPkcs12(leaf.Export(X509ContentType.Pkcs12), null);
        }

        // offline: the chain is what the file holds; no AIA download while compiling a snapshot.
        return SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }
}
