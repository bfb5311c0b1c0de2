using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gatehouse.Gateway.Hosting.Tls;

/// <summary>The certificate a TLS port serves: the leaf with its key and the other certificates of the same file.</summary>
/// <param name="Leaf">The certificate the private key belongs to.</param>
/// <param name="Extras">Every other certificate of the file, in file order: the intermediates to send (and possibly a root).</param>
/// <param name="Source">The file the certificates came from, as configured; findings name it.</param>
/// <param name="IsPem">True for a PEM file (the fix is "append after the leaf"), false for PKCS#12.</param>
internal sealed record ServerCertificate(X509Certificate2 Leaf, X509Certificate2Collection Extras, string Source, bool IsPem);

/// <summary>
/// Reads the configured PKCS#12 file or PEM pair. Every failure is a <see cref="TlsConfigurationException"/> whose
/// message names the configuration key and the file, whatever <see cref="GatewayTlsOptions.ChainCheck"/> says: a
/// certificate that cannot be loaded cannot be served.
/// </summary>
internal static class ServerCertificateLoader
{
    private const string S = GatewayTlsOptions.Section;

    /// <summary>Loads the single certificate of <see cref="GatewayTlsOptions"/> (keys under <c>Gatehouse:Gateway:Tls</c>).</summary>
    public static ServerCertificate Load(GatewayTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Load(new TlsCertificateOptions
        {
            CertificatePath = options.CertificatePath,
            Password = options.Password,
            CertificatePemPath = options.CertificatePemPath,
            KeyPemPath = options.KeyPemPath,
        }, S);
    }

    /// <summary>Loads one certificate; <paramref name="keyPrefix"/> is its configuration section, named in every error.</summary>
    public static ServerCertificate Load(TlsCertificateOptions options, string keyPrefix)
    {
        ArgumentNullException.ThrowIfNull(options);
        return !string.IsNullOrWhiteSpace(options.CertificatePath)
            ? LoadPkcs12(options.CertificatePath, options.Password, keyPrefix)
            : LoadPem(options.CertificatePemPath!, options.KeyPemPath, options.Password, keyPrefix);
    }

    private static ServerCertificate LoadPkcs12(string path, string? password, string prefix)
    {
        var key = $"{prefix}:{nameof(GatewayTlsOptions.CertificatePath)}";
        RequireFile(path, key);
        X509Certificate2Collection all;
        try
        {
            all = X509CertificateLoader.LoadPkcs12CollectionFromFile(path, password);
        }
        catch (CryptographicException e)
        {
            throw new TlsConfigurationException(
                $"TLS certificate {path} ({key}) cannot be opened: the password ({prefix}:{nameof(GatewayTlsOptions.Password)}) is wrong or the file is not PKCS#12 ({e.Message})", e);
        }

        X509Certificate2? leaf = null;
        var extras = new X509Certificate2Collection();
        foreach (var certificate in all)
        {
            if (certificate.HasPrivateKey && leaf is null)
            {
                leaf = certificate;
            }
            else
            {
                extras.Add(certificate);
            }
        }

        if (leaf is null)
        {
            throw new TlsConfigurationException(
                $"TLS certificate {path} ({key}) holds {all.Count} certificate(s) but no private key; export the server certificate together with its key.");
        }

        return new ServerCertificate(ForSslStream(leaf), extras, path, IsPem: false);
    }

    private static ServerCertificate LoadPem(string certPath, string? keyPath, string? password, string prefix)
    {
        var certKey = $"{prefix}:{nameof(GatewayTlsOptions.CertificatePemPath)}";
        var keyKey = $"{prefix}:{nameof(GatewayTlsOptions.KeyPemPath)}";
        RequireFile(certPath, certKey);
        if (!string.IsNullOrWhiteSpace(keyPath))
        {
            RequireFile(keyPath, keyKey);
        }

        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPemFile(certPath);
        }
        catch (CryptographicException e)
        {
            throw new TlsConfigurationException($"TLS certificate {certPath} ({certKey}) is not a valid PEM certificate file ({e.Message})", e);
        }

        if (all.Count == 0)
        {
            throw new TlsConfigurationException($"TLS certificate {certPath} ({certKey}) contains no '-----BEGIN CERTIFICATE-----' block.");
        }

        var keySource = string.IsNullOrWhiteSpace(keyPath) ? certPath : keyPath;
        X509Certificate2 leaf;
        try
        {
            // Both load the first certificate of the file, so the leaf must come first (as in nginx and HAProxy).
            leaf = string.IsNullOrEmpty(password)
                ? X509Certificate2.CreateFromPemFile(certPath, keyPath)
                : X509Certificate2.CreateFromEncryptedPemFile(certPath, password, keyPath);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new TlsConfigurationException(KeyProblem(all, keySource, keyKey, prefix, e), e);
        }

        var extras = new X509Certificate2Collection();
        for (var i = 1; i < all.Count; i++)
        {
            extras.Add(all[i]);
        }

        all[0].Dispose();
        return new ServerCertificate(ForSslStream(leaf), extras, certPath, IsPem: true);
    }

    /// <summary>Says why the key did not load: none in the file, encrypted without a password, or not the leaf's key.</summary>
    private static string KeyProblem(X509Certificate2Collection all, string keySource, string keyKey, string prefix, Exception e)
    {
        var text = File.ReadAllText(keySource);
        if (!text.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            return $"TLS private key: {keySource} ({keyKey}) contains no PEM private key.";
        }

        if (text.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal))
        {
            return $"TLS private key {keySource} ({keyKey}) is encrypted and could not be decrypted; check {prefix}:{nameof(GatewayTlsOptions.Password)} ({e.Message})";
        }

        // CopyWithPrivateKey refuses a key whose public half differs from the certificate's.
        return $"TLS private key {keySource} ({keyKey}) does not belong to '{all[0].Subject}', the first certificate of the certificate file; "
            + $"the leaf must come first, followed by its intermediates ({e.Message})";
    }

    private static void RequireFile(string path, string key)
    {
        if (!File.Exists(path))
        {
            throw new TlsConfigurationException($"TLS file {path} ({key}) does not exist (working directory {Directory.GetCurrentDirectory()}).");
        }
    }

    /// <summary>
    /// SChannel (Windows) cannot use the ephemeral key a PEM load gives; a PKCS#12 round trip makes it usable.
    /// OpenSSL on Linux and macOS takes the key as it is.
    /// </summary>
    private static X509Certificate2 ForSslStream(X509Certificate2 leaf)
    {
        if (!OperatingSystem.IsWindows())
        {
            return leaf;
        }

        using (leaf)
        {
            return X509CertificateLoader.LoadPkcs12(leaf.Export(X509ContentType.Pkcs12), password: null);
        }
    }
}

/// <summary>A TLS certificate that cannot be loaded, or (with <see cref="TlsChainCheckMode.Refuse"/>) fails its check.</summary>
public sealed class TlsConfigurationException(string message, Exception? inner = null) : InvalidOperationException(message, inner);
