using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Hosting.Tls;

/// <summary>
/// The traffic port's TLS: loads the configured certificate, checks its chain, and binds the HTTPS listener that
/// serves exactly that chain. Resolved when Kestrel is configured (as the application is built), so a refused
/// certificate stops the node before any port is bound. <see cref="ServerCertificateReloader"/> swaps in
/// replacements of the files for new handshakes.
/// </summary>
internal sealed partial class ServerTls
{
    private readonly ILogger<ServerTls> _logger;
    private readonly TimeProvider _time;

    // Swapped whole by a reload; each handshake reads it once, so a connection uses one certificate throughout.
    private volatile SslStreamCertificateContext? _context;
    private string? _loadedFingerprint;
    private string? _refusedFingerprint;

    public ServerTls(IOptions<GatewayOptions> options, ILogger<ServerTls> logger, TimeProvider time)
    {
        Options = options.Value.Tls;
        _logger = logger;
        _time = time;
        if (!Options.Enabled)
        {
            return;
        }

        try
        {
            _loadedFingerprint = FilesFingerprint();
            _context = LoadContext(reload: false);
        }
        catch (TlsConfigurationException e)
        {
            Log.Refused(logger, e.Message);
            throw;
        }
    }

    public GatewayTlsOptions Options { get; }

    /// <summary>The certificates sent in the handshake after the leaf (empty when TLS is off).</summary>
    public IReadOnlyList<X509Certificate2> SentIntermediates => _context?.IntermediateCertificates ?? [];

    /// <summary>Binds the HTTPS traffic port: HTTP/1.1 and HTTP/2 chosen by ALPN, TLS 1.2 and 1.3 only. No-op when TLS is off.</summary>
    public void Listen(KestrelServerOptions kestrel, IPAddress address)
    {
        if (_context is null)
        {
            return;
        }

        kestrel.Listen(address, Options.Port, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;

            // The per-connection callback (rather than a certificate on HttpsConnectionAdapterOptions) is what lets
            // the gateway hand over a prebuilt, offline certificate context. Kestrel fills in ALPN from Protocols.
            listen.UseHttps(new TlsHandshakeCallbackOptions
            {
                OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = _context,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ClientCertificateRequired = false,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                }),
            });
        });
    }

    /// <summary>
    /// Loads the files again if their content changed since the last load or refused attempt. A replacement that
    /// fails to load, or fails the chain check under <see cref="TlsChainCheckMode.Refuse"/>, is logged and the
    /// current certificate stays; the next change is tried again (a certificate and key written one after the other
    /// may be caught in between). Returns true when a new certificate is now served.
    /// </summary>
    public bool ReloadIfChanged()
    {
        if (_context is null)
        {
            return false;
        }

        var fingerprint = FilesFingerprint();
        if (fingerprint == _loadedFingerprint || fingerprint == _refusedFingerprint)
        {
            return false;
        }

        try
        {
            _context = LoadContext(reload: true);
            _loadedFingerprint = fingerprint;
            _refusedFingerprint = null;
            return true;
        }
        catch (TlsConfigurationException e)
        {
            _refusedFingerprint = fingerprint;
            Log.ReloadRefused(_logger, e.Message);
            return false;
        }
    }

    private SslStreamCertificateContext LoadContext(bool reload)
    {
        var certificate = ServerCertificateLoader.Load(Options);
        Check(certificate, _time.GetUtcNow());

        // offline: the chain sent is built from the file's certificates alone, never completed by AIA fetching,
        // so what clients receive is what the check saw.
        var context = SslStreamCertificateContext.Create(certificate.Leaf, certificate.Extras, offline: true);
        Log.Serving(_logger, reload ? "reloaded" : "on", Options.Port, certificate.Leaf.Subject, certificate.Leaf.NotAfter.ToUniversalTime(),
            context.IntermediateCertificates.Count, certificate.Source, Options.ChainCheck);
        return context;
    }

    /// <summary>SHA-256 over the configured files' contents; content rather than timestamps, so symlink swaps (Kubernetes secrets) count.</summary>
    private string FilesFingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in (string?[])[Options.CertificatePath, Options.CertificatePemPath, Options.KeyPemPath, Options.TrustedRootsPath])
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

    private void Check(ServerCertificate certificate, DateTimeOffset now)
    {
        if (Options.ChainCheck == TlsChainCheckMode.Off)
        {
            return;
        }

        var result = CertificateChainCheck.Check(certificate, LoadTrustedRoots(), now);
        foreach (var warning in result.Warnings)
        {
            Log.Finding(_logger, warning);
        }

        if (result.Errors.Count == 0)
        {
            return;
        }

        if (Options.ChainCheck == TlsChainCheckMode.Refuse)
        {
            throw new TlsConfigurationException(string.Join(Environment.NewLine, result.Errors)
                + $"{Environment.NewLine}(refused because {GatewayTlsOptions.Section}:{nameof(GatewayTlsOptions.ChainCheck)} is 'refuse'; 'warn' logs this and serves anyway)");
        }

        foreach (var error in result.Errors)
        {
            Log.Finding(_logger, error);
        }
    }

    private X509Certificate2Collection? LoadTrustedRoots()
    {
        if (string.IsNullOrWhiteSpace(Options.TrustedRootsPath))
        {
            return null;
        }

        var key = $"{GatewayTlsOptions.Section}:{nameof(GatewayTlsOptions.TrustedRootsPath)}";
        var path = Options.TrustedRootsPath;
        if (!File.Exists(path))
        {
            throw new TlsConfigurationException($"TLS trusted roots file {path} ({key}) does not exist.");
        }

        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (CryptographicException e)
        {
            throw new TlsConfigurationException($"TLS trusted roots file {path} ({key}) is not a valid PEM bundle ({e.Message})", e);
        }

        return roots.Count > 0 ? roots
            : throw new TlsConfigurationException($"TLS trusted roots file {path} ({key}) contains no '-----BEGIN CERTIFICATE-----' block.");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5201, Level = LogLevel.Information,
            Message = "TLS {What} on port {Port}: serving '{Subject}' (expires {NotAfter:u}) with {Intermediates} intermediate(s) from {Source}; chain check {ChainCheck}")]
        public static partial void Serving(ILogger logger, string what, int port, string subject, DateTime notAfter, int intermediates, string source, TlsChainCheckMode chainCheck);

        [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "{Finding}")]
        public static partial void Finding(ILogger logger, string finding);

        [LoggerMessage(EventId = 5203, Level = LogLevel.Critical, Message = "The gateway cannot start: {Problem}")]
        public static partial void Refused(ILogger logger, string problem);

        [LoggerMessage(EventId = 5204, Level = LogLevel.Error, Message = "TLS certificate files changed but the new certificate is refused; still serving the previous one: {Problem}")]
        public static partial void ReloadRefused(ILogger logger, string problem);
    }
}
