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
/// The traffic port's TLS: loads the configured certificate once, checks its chain, and binds the HTTPS listener
/// that serves exactly that chain. Resolved when Kestrel is configured at start, so a refused certificate stops
/// the node before any port is bound.
/// </summary>
internal sealed partial class ServerTls
{
    private readonly SslStreamCertificateContext? _context;

    public ServerTls(IOptions<GatewayOptions> options, ILogger<ServerTls> logger, TimeProvider time)
    {
        Options = options.Value.Tls;
        if (!Options.Enabled)
        {
            return;
        }

        try
        {
            var certificate = ServerCertificateLoader.Load(Options);
            Check(certificate, time.GetUtcNow(), logger);

            // offline: the chain sent is built from the file's certificates alone, never completed by AIA fetching,
            // so what clients receive is what the check above saw.
            _context = SslStreamCertificateContext.Create(certificate.Leaf, certificate.Extras, offline: true);
            Log.Serving(logger, Options.Port, certificate.Leaf.Subject, certificate.Leaf.NotAfter.ToUniversalTime(),
                _context.IntermediateCertificates.Count, certificate.Source, Options.ChainCheck);
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
        if (_context is not { } context)
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
                    ServerCertificateContext = context,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ClientCertificateRequired = false,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                }),
            });
        });
    }

    private void Check(ServerCertificate certificate, DateTimeOffset now, ILogger logger)
    {
        if (Options.ChainCheck == TlsChainCheckMode.Off)
        {
            return;
        }

        var result = CertificateChainCheck.Check(certificate, LoadTrustedRoots(), now);
        foreach (var warning in result.Warnings)
        {
            Log.Finding(logger, warning);
        }

        if (result.Errors.Count == 0)
        {
            return;
        }

        if (Options.ChainCheck == TlsChainCheckMode.Refuse)
        {
            throw new TlsConfigurationException(string.Join(Environment.NewLine, result.Errors)
                + $"{Environment.NewLine}(refused because {GatewayTlsOptions.Section}:{nameof(GatewayTlsOptions.ChainCheck)} is {TlsChainCheckMode.Refuse}; 'warn' serves anyway)");
        }

        foreach (var error in result.Errors)
        {
            Log.Finding(logger, error);
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
            Message = "TLS on port {Port}: serving '{Subject}' (expires {NotAfter:u}) with {Intermediates} intermediate(s) from {Source}; chain check {ChainCheck}")]
        public static partial void Serving(ILogger logger, int port, string subject, DateTime notAfter, int intermediates, string source, TlsChainCheckMode chainCheck);

        [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "{Finding}")]
        public static partial void Finding(ILogger logger, string finding);

        [LoggerMessage(EventId = 5203, Level = LogLevel.Critical, Message = "The gateway cannot start: {Problem}")]
        public static partial void Refused(ILogger logger, string problem);
    }
}
