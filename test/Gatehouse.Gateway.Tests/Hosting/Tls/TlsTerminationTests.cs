using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Gatehouse.Gateway.Hosting.Tls;
using Gatehouse.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static Gatehouse.Testing.Eventually;

namespace Gatehouse.Gateway.Tests.Hosting.Tls;

/// <summary>
/// A real gateway (the host's <see cref="GatewayApplication"/>) terminating TLS on a loopback port in front of a real
/// backend, served the test hierarchy's chain with and without the intermediate, to a strict client: one that trusts
/// only the root and builds the chain from what the server sent.
/// </summary>
public sealed class TlsTerminationTests : IAsyncLifetime
{
    private const string IntermediateSubject = "CN=Gatehouse Tls Intermediate CA";
    private readonly TestPki _pki = TestPki.Create("Gatehouse Tls");
    private TlsGatewayHarness _harness = null!;
    private string _dir = null!;
    private string _rootPath = null!;

    public async Task InitializeAsync()
    {
        _harness = await TlsGatewayHarness.StartAsync(backend: context =>
            context.Response.WriteAsync($"backend saw proto={context.Request.Headers["X-Forwarded-Proto"]}"));
        _dir = _harness.Directory;
        _rootPath = _pki.WriteRootPem(_dir);
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        _pki.Dispose();
    }

    [Fact]
    public async Task PemChainWithIntermediate_StrictClient_Gets200ThroughToBackend()
    {
        var (cert, key) = _pki.WriteServerPem(_dir, withIntermediate: true);
        var gw = await StartAsync("--tls-cert", cert, "--tls-key", key);
        var presented = new ConcurrentQueue<string>();

        using var client = StrictClient((leaf, chain) =>
        {
            // What the client saw besides the leaf is what the gateway sent: the root is nowhere it could be found.
            for (var i = 0; i < chain!.ChainElements.Count; i++)
            {
                presented.Enqueue(chain.ChainElements[i].Certificate.Subject);
            }

            return _pki.StrictlyTrustsRoot(leaf, chain);
        });
        var response = await client.SendAsync(Get(gw.TlsPort));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("backend saw proto=https", await response.Content.ReadAsStringAsync());
        Assert.Equal(["CN=localhost", IntermediateSubject], presented.ToArray());
        Assert.Contains(gw.Logs.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("serving 'CN=localhost'", StringComparison.Ordinal)
            && e.Message.Contains("with 1 intermediate(s)", StringComparison.Ordinal)
            && e.Message.StartsWith($"TLS enabled on port {gw.TlsPort}: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RootInFile_IsNotSent()
    {
        var (cert, key) = _pki.WriteServerPem(_dir, withIntermediate: true);
        await File.AppendAllTextAsync(cert, _pki.Root.ExportCertificatePem() + "\n");
        var gw = await StartAsync("--tls-cert", cert, "--tls-key", key);
        var presented = new ConcurrentQueue<string>();

        using var client = StrictClient((leaf, chain) =>
        {
            // Had the root been sent it would be in this chain (untrusted, but present).
            foreach (var element in chain!.ChainElements)
            {
                presented.Enqueue(element.Certificate.Subject);
            }

            return _pki.StrictlyTrustsRoot(leaf, chain);
        });

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Get(gw.TlsPort))).StatusCode);
        Assert.Equal(["CN=localhost", IntermediateSubject], presented.ToArray());
    }

    [Fact]
    public void LeafOnly_ChainCheckRefuse_StartFailsNamingMissingIntermediate()
    {
        var (cert, key) = _pki.WriteServerPem(_dir, withIntermediate: false);
        var error = Refused(out var logs, "--tls-cert", cert, "--tls-key", key);

        Assert.StartsWith($"TLS certificate chain is incomplete: 'CN=localhost' is issued by '{IntermediateSubject}' (key id ", error.Message);
        Assert.Contains($"which is not in {cert}; append that intermediate certificate after the leaf", error.Message);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Critical && e.Message.Contains(IntermediateSubject, StringComparison.Ordinal));
    }

    [Fact]
    public async Task LeafOnly_ChainCheckWarn_ServesWithWarning_StrictClientFails_ClientWithIntermediateSucceeds()
    {
        var (cert, key) = _pki.WriteServerPem(_dir, withIntermediate: false);
        var gw = await StartAsync("--tls-cert", cert, "--tls-key", key, "--tls-chain-check", "warn");

        Assert.Contains(gw.Logs.Entries, e => e.Level == LogLevel.Warning
            && e.Message.StartsWith($"TLS certificate chain is incomplete: 'CN=localhost' is issued by '{IntermediateSubject}'", StringComparison.Ordinal));

        var sentCount = -1;
        using (var strict = StrictClient((leaf, chain) =>
        {
            sentCount = chain!.ChainElements.Count;
            return _pki.StrictlyTrustsRoot(leaf, chain);
        }))
        {
            var failure = await Assert.ThrowsAsync<HttpRequestException>(() => strict.SendAsync(Get(gw.TlsPort)));
            Assert.IsType<AuthenticationException>(failure.InnerException);
        }

        // The premise of the strict client: on this platform the chain handed to the callback holds only what was sent.
        Assert.Equal(1, sentCount);

        using var helped = StrictClient((leaf, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(_pki.Root);
            chain.ChainPolicy.ExtraStore.Add(_pki.Intermediate);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(leaf);
        });
        var response = await helped.SendAsync(Get(gw.TlsPort));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Pkcs12WithChain_StrictClient_Gets200()
    {
        var pfx = _pki.WriteServerPfx(_dir, "pfx-pass", withIntermediate: true);
        var gw = await StartAsync("--tls-pfx", pfx, "--Gatehouse:Gateway:Tls:Password", "pfx-pass");

        using var client = StrictClient(_pki.StrictlyTrustsRoot);
        var response = await client.SendAsync(Get(gw.TlsPort));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public void Pkcs12LeafOnly_ChainCheckRefuse_StartFails()
    {
        var pfx = _pki.WriteServerPfx(_dir, "pfx-pass", withIntermediate: false);
        var error = Refused(out _, "--tls-pfx", pfx, "--Gatehouse:Gateway:Tls:Password", "pfx-pass");

        Assert.Contains($"is issued by '{IntermediateSubject}'", error.Message);
        Assert.Contains("export the PKCS#12 file again with the whole chain", error.Message);
    }

    [Fact]
    public void Pkcs12WrongPassword_StartFailsNamingPasswordKey()
    {
        var pfx = _pki.WriteServerPfx(_dir, "pfx-pass", withIntermediate: true);
        var error = Refused(out var logs, "--tls-pfx", pfx, "--Gatehouse:Gateway:Tls:Password", "not-it");

        Assert.Contains("the password (Gatehouse:Gateway:Tls:Password) is wrong", error.Message);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Critical && e.Message.Contains(pfx, StringComparison.Ordinal));
    }

    [Fact]
    public void MissingCertificateFile_StartFailsNamingFile()
    {
        var missing = Path.Combine(_dir, "missing.pem");
        var error = Refused(out _, "--tls-cert", missing);

        Assert.StartsWith($"TLS file {missing} (Gatehouse:Gateway:Tls:CertificatePemPath) does not exist", error.Message);
    }

    [Fact]
    public void TlsPortSameAsControlPort_StartFailsNamingKeys()
    {
        var (cert, key) = _pki.WriteServerPem(_dir, withIntermediate: true);
        var controlPort = FreePort().ToString();

        var error = Assert.Throws<OptionsValidationException>(() =>
            Create(new LogSink(), "--tls-cert", cert, "--tls-key", key, "--control-port", controlPort, "--tls-port", controlPort));

        Assert.Contains("Gatehouse:Gateway:Tls:Port must differ from Gatehouse:Gateway:ControlPort", error.Message);
    }

    [Fact]
    public async Task Http2NegotiatedByAlpn_Tls12AndUp()
    {
        var (cert, key) = _pki.WriteServerPem(_dir, withIntermediate: true);
        var gw = await StartAsync("--tls-cert", cert, "--tls-key", key);

        using var client = StrictClient(_pki.StrictlyTrustsRoot);
        var request = Get(gw.TlsPort);
        request.Version = HttpVersion.Version20;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, gw.TlsPort);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = (_, c, chain, _) => _pki.StrictlyTrustsRoot((X509Certificate2)c!, chain),
        });
        Assert.Equal(SslApplicationProtocol.Http2, tls.NegotiatedApplicationProtocol);
        Assert.True(tls.SslProtocol is SslProtocols.Tls12 or SslProtocols.Tls13, $"negotiated {tls.SslProtocol}");
    }

    [Fact]
    public async Task PlainPortKeepsWorking_UnlessDisabled()
    {
        var (cert, key) = _pki.WriteServerPem(_dir, withIntermediate: true);
        var both = await StartAsync("--tls-cert", cert, "--tls-key", key);
        using var plain = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{both.Port}/x") { Headers = { { "serviceName", "s" } } };
        var response = await plain.SendAsync(request);
        Assert.Equal("backend saw proto=http", await response.Content.ReadAsStringAsync());

        var tlsOnly = await StartAsync("--tls-cert", cert, "--tls-key", key, "--Gatehouse:Gateway:Tls:DisablePlain", "true");
        Assert.False(await AcceptsAsync(tlsOnly.Port), "the plain port is bound although DisablePlain is set");
        using var client = StrictClient(_pki.StrictlyTrustsRoot);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Get(tlsOnly.TlsPort))).StatusCode);
    }

    [Fact]
    public async Task CertificateFilesReplaced_RefusedReplacementKeepsOld_GoodOneServedToNewHandshakes()
    {
        using var renewed = TestPki.Create("Renewed");
        var roots = Path.Combine(_dir, "roots.pem");
        await File.WriteAllTextAsync(roots, _pki.Root.ExportCertificatePem() + "\n" + renewed.Root.ExportCertificatePem() + "\n");
        var (cert, key) = _pki.WriteServerPem(_dir, withIntermediate: true);
        var gw = await StartAsync("--tls-cert", cert, "--tls-key", key,
            "--Gatehouse:Gateway:Tls:TrustedRootsPath", roots, "--Gatehouse:Gateway:Tls:ReloadInterval", "00:00:00.100");
        Assert.Equal(_pki.Server.Thumbprint, await PresentedLeafAsync(gw.TlsPort));

        // A renewal deployed without its intermediate: refused, the old certificate stays.
        var renewedDir = Directory.CreateDirectory(Path.Combine(_dir, "renewed")).FullName;
        var (leafOnly, renewedKey) = renewed.WriteServerPem(renewedDir, withIntermediate: false);
        Replace(renewedKey, key);
        Replace(leafOnly, cert);
        await WaitUntilAsync(() => Task.FromResult(gw.Logs.Entries.Any(e => e.Level == LogLevel.Error
            && e.Message.Contains("still serving the previous one", StringComparison.Ordinal)
            && e.Message.Contains("is issued by 'CN=Renewed Intermediate CA'", StringComparison.Ordinal))), "the leaf-only renewal is refused");
        Assert.Equal(_pki.Server.Thumbprint, await PresentedLeafAsync(gw.TlsPort));

        // The same renewal with its intermediate: served to new handshakes, and the strict client of the new root gets through.
        var (chain, _) = renewed.WriteServerPem(renewedDir, withIntermediate: true);
        Replace(chain, cert);
        await WaitUntilAsync(async () => await PresentedLeafAsync(gw.TlsPort) == renewed.Server.Thumbprint, "the renewed certificate is served");
        using var client = StrictClient(renewed.StrictlyTrustsRoot);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Get(gw.TlsPort))).StatusCode);
        Assert.Contains(gw.Logs.Entries, e => e.Message.StartsWith("TLS reloaded on port", StringComparison.Ordinal));
    }

    /// <summary>Thumbprint of the leaf a fresh handshake presents.</summary>
    private static async Task<string> PresentedLeafAsync(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        return tls.RemoteCertificate!.GetCertHashString();
    }

    private static void Replace(string source, string target) => TlsGatewayHarness.Replace(source, target);


    private static HttpRequestMessage Get(int port) =>
        new(HttpMethod.Get, $"https://localhost:{port}/x") { Headers = { { "serviceName", "s" } } };

    private static HttpClient StrictClient(Func<X509Certificate2, X509Chain?, bool> validate) =>
        new(new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, chain, _) => validate((X509Certificate2)certificate!, chain) },
        })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>A gateway on free loopback ports trusting the test root; <paramref name="tlsArgs"/> come last and win.</summary>
    private Task<(int Port, int TlsPort, LogSink Logs)> StartAsync(params string[] tlsArgs) =>
        _harness.StartGatewayOnPortsAsync(["--Gatehouse:Gateway:Tls:TrustedRootsPath", _rootPath, .. tlsArgs]);

    private (WebApplication App, (int Plain, int Tls) Ports) Create(LogSink logs, params string[] tlsArgs) =>
        _harness.CreateOnPorts(logs, ["--Gatehouse:Gateway:Tls:TrustedRootsPath", _rootPath, .. tlsArgs]);

    /// <summary>
    /// The node must refuse with the TLS problem itself as the exception, so the process prints it and exits non-zero.
    /// Kestrel's options (and so the certificate) are resolved when the application is built, before any port is bound.
    /// </summary>
    private TlsConfigurationException Refused(out LogSink logs, params string[] tlsArgs)
    {
        var sink = new LogSink();
        logs = sink;
        return Assert.Throws<TlsConfigurationException>(() => Create(sink, tlsArgs));
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort() => Gatehouse.Testing.LoopbackPorts.Next();

    internal sealed record LogEntry(LogLevel Level, string Message);

    /// <summary>Keeps every entry the gateway logs.</summary>
    internal sealed class LogSink : ILoggerProvider
    {
        private readonly ConcurrentQueue<LogEntry> _entries = new();

        public IReadOnlyList<LogEntry> Entries => _entries.ToArray();

        public ILogger CreateLogger(string categoryName) => new Logger(_entries);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<LogEntry> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                => entries.Enqueue(new LogEntry(logLevel, formatter(state, exception)));
        }
    }
}
