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
/// The traffic port's TLS: loads the configured certificates, checks each chain, and binds the HTTPS listener that
/// serves exactly those chains, the certificate chosen per handshake by the client's server name
/// (<see cref="SniCertificateTable{T}"/>), asking for client certificates when configured
/// (<see cref="ClientCertificateTrust"/>). Resolved when Kestrel is configured (as the application is built), so a
/// refused certificate stops the node before any port is bound. <see cref="ServerCertificateReloader"/> swaps in
/// replacements of the files for new handshakes, one certificate at a time.
/// </summary>
internal sealed partial class ServerTls
{
    private static readonly List<SslApplicationProtocol> Alpn = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

    private readonly ILogger<ServerTls> _logger;
    private readonly TimeProvider _time;
    private readonly CertificateSlot[] _slots;

    // Swapped whole by a reload; each handshake reads it once, so a connection uses one certificate throughout.
    private volatile SniCertificateTable<ServedCertificate>? _table;

    public ServerTls(IOptions<GatewayOptions> options, ILogger<ServerTls> logger, TimeProvider time)
    {
        Options = options.Value.Tls;
        _logger = logger;
        _time = time;
        _slots = CreateSlots(Options);
        if (_slots.Length == 0)
        {
            return;
        }

        try
        {
            foreach (var slot in _slots)
            {
                slot.LoadedFingerprint = slot.Fingerprint(Options.TrustedRootsPath, Options.ClientCaPath);
                Load(slot, reload: false);
            }
        }
        catch (TlsConfigurationException e)
        {
            Log.Refused(logger, e.Message);
            throw;
        }

        _table = BuildTable();
        if (Options.ClientCertificates != TlsClientCertificateMode.None)
        {
            Log.ClientCertificates(logger, Options.ClientCertificates, Options.ClientCaPath!);
        }
    }

    public GatewayTlsOptions Options { get; }

    /// <summary>The certificates sent in the handshake after the default leaf (empty when TLS is off).</summary>
    public IReadOnlyList<X509Certificate2> SentIntermediates => _table?.Default.Options.ServerCertificateContext?.IntermediateCertificates ?? [];

    /// <summary>Binds the HTTPS traffic port: HTTP/1.1 and HTTP/2 chosen by ALPN, TLS 1.2 and 1.3 only. No-op when TLS is off.</summary>
    public void Listen(KestrelServerOptions kestrel, IPAddress address)
    {
        if (_table is null)
        {
            return;
        }

        kestrel.Listen(address, Options.Port, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;

            // The per-connection callback (rather than a certificate or ServerCertificateSelector on
            // HttpsConnectionAdapterOptions) is what lets the gateway hand over a prebuilt, offline certificate
            // context per server name, so the chain sent is the checked one. The options carry ALPN themselves
            // (h2, http/1.1, as Kestrel would fill in), so one prebuilt instance serves every handshake.
            listen.UseHttps(new TlsHandshakeCallbackOptions
            {
                OnConnection = context =>
                {
                    var served = _table.Select(context.ClientHelloInfo.ServerName);
                    return ValueTask.FromResult(served.ClientTrust is { } trust ? trust.ForHandshake(served.Options) : served.Options);
                },
            });
        });
    }

    /// <summary>
    /// Loads each certificate again whose files changed since its last load or refused attempt. A replacement that
    /// fails to load, or fails the chain check under <see cref="TlsChainCheckMode.Refuse"/>, is logged and that
    /// certificate stays; the next change is tried again (a certificate and key written one after the other may be
    /// caught in between). The other certificates are untouched. Returns true when a new certificate is now served.
    /// </summary>
    public bool ReloadIfChanged()
    {
        if (_table is null)
        {
            return false;
        }

        var changed = false;
        foreach (var slot in _slots)
        {
            var fingerprint = slot.Fingerprint(Options.TrustedRootsPath, Options.ClientCaPath);
            if (fingerprint == slot.LoadedFingerprint || fingerprint == slot.RefusedFingerprint)
            {
                continue;
            }

            try
            {
                Load(slot, reload: true);
                slot.LoadedFingerprint = fingerprint;
                slot.RefusedFingerprint = null;
                changed = true;
            }
            catch (TlsConfigurationException e)
            {
                slot.RefusedFingerprint = fingerprint;
                Log.ReloadRefused(_logger, slot.KeyPrefix, e.Message);
            }
        }

        if (changed)
        {
            _table = BuildTable();
        }

        return changed;
    }

    /// <summary>The single certificate (when set) first, then <see cref="GatewayTlsOptions.Certificates"/> in order.</summary>
    private static CertificateSlot[] CreateSlots(GatewayTlsOptions options)
    {
        var slots = new List<CertificateSlot>();
        if (options.HasSingleCertificate)
        {
            slots.Add(new CertificateSlot(new TlsCertificateOptions
            {
                CertificatePath = options.CertificatePath,
                Password = options.Password,
                CertificatePemPath = options.CertificatePemPath,
                KeyPemPath = options.KeyPemPath,
            }, GatewayTlsOptions.Section));
        }

        for (var i = 0; i < options.Certificates.Count; i++)
        {
            slots.Add(new CertificateSlot(options.Certificates[i], $"{GatewayTlsOptions.Section}:{nameof(GatewayTlsOptions.Certificates)}:{i}"));
        }

        return [.. slots];
    }

    private void Load(CertificateSlot slot, bool reload)
    {
        var certificate = ServerCertificateLoader.Load(slot.Files, slot.KeyPrefix);
        Check(certificate, slot.KeyPrefix, _time.GetUtcNow());

        // offline: the chain sent is built from the file's certificates alone, never completed by AIA fetching,
        // so what clients receive is what the check saw. Created once per load, shared by every handshake.
        var context = SslStreamCertificateContext.Create(certificate.Leaf, certificate.Extras, offline: true);
        var hosts = slot.HostsFor(certificate.Leaf);
        slot.Served = new ServedCertificate(CreateServerOptions(context), ClientCertificateTrust.Load(Options));
        slot.Hosts = hosts;
        Log.Serving(_logger, reload ? "reloaded" : "enabled", Options.Port, certificate.Leaf.Subject, certificate.Leaf.NotAfter.ToUniversalTime(),
            context.IntermediateCertificates.Count, certificate.Source, hosts.Count == 0 ? "no server name" : string.Join(", ", hosts),
            Options.ChainCheck);
    }

    private static SslServerAuthenticationOptions CreateServerOptions(SslStreamCertificateContext context) => new()
    {
        ServerCertificateContext = context,
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        ApplicationProtocols = Alpn,
        ClientCertificateRequired = false,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    private SniCertificateTable<ServedCertificate> BuildTable()
    {
        var entries = new (IReadOnlyList<string>, ServedCertificate)[_slots.Length];
        for (var i = 0; i < _slots.Length; i++)
        {
            entries[i] = (_slots[i].Hosts, _slots[i].Served!);
        }

        return SniCertificateTable<ServedCertificate>.Build(entries,
            (host, loser) => Log.HostShadowed(_logger, host, _slots[loser].KeyPrefix));
    }

    private void Check(ServerCertificate certificate, string keyPrefix, DateTimeOffset now)
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
                + $"{Environment.NewLine}(certificate {keyPrefix}; refused because {GatewayTlsOptions.Section}:{nameof(GatewayTlsOptions.ChainCheck)} is 'refuse'; 'warn' logs this and serves anyway)");
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
            Message = "TLS {What} on port {Port}: serving '{Subject}' (expires {NotAfter:u}) with {Intermediates} intermediate(s) from {Source} for {Hosts}; chain check {ChainCheck}")]
        public static partial void Serving(ILogger logger, string what, int port, string subject, DateTime notAfter, int intermediates, string source, string hosts, TlsChainCheckMode chainCheck);

        [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "{Finding}")]
        public static partial void Finding(ILogger logger, string finding);

        [LoggerMessage(EventId = 5203, Level = LogLevel.Critical, Message = "The gateway cannot start: {Problem}")]
        public static partial void Refused(ILogger logger, string problem);

        [LoggerMessage(EventId = 5204, Level = LogLevel.Error, Message = "TLS certificate files of {Certificate} changed but the new certificate is refused; still serving the previous one: {Problem}")]
        public static partial void ReloadRefused(ILogger logger, string certificate, string problem);

        [LoggerMessage(EventId = 5207, Level = LogLevel.Information, Message = "TLS client certificates: {Mode}, verified against the roots of {ClientCaPath} only")]
        public static partial void ClientCertificates(ILogger logger, TlsClientCertificateMode mode, string clientCaPath);

        [LoggerMessage(EventId = 5206, Level = LogLevel.Warning, Message = "TLS server name '{Host}' of {Certificate} is already served by an earlier certificate; that one is kept for it")]
        public static partial void HostShadowed(ILogger logger, string host, string certificate);
    }
}
