using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using LogSink = Gatehouse.Gateway.Tests.Hosting.Tls.TlsTerminationTests.LogSink;

namespace Gatehouse.Gateway.Tests.Hosting.Tls;

/// <summary>
/// A real backend and real gateways (the host's <see cref="GatewayApplication"/>) on loopback ports for the SNI and
/// client-certificate tests. The backend echoes the request headers a test asks about, so a test sees what reached it.
/// </summary>
internal sealed class TlsGatewayHarness : IAsyncDisposable
{
    private readonly List<WebApplication> _started = [];
    private WebApplication _backend = null!;

    private TlsGatewayHarness(string directory) => Directory = directory;

    /// <summary>A temp directory for certificate files and the config file; deleted on dispose.</summary>
    public string Directory { get; }

    public string ConfigPath => Path.Combine(Directory, "gatehouse.yaml");

    /// <summary>
    /// Starts the backend and writes a config with one service <c>s</c>; <paramref name="apiYaml"/> replaces its API list,
    /// <paramref name="backend"/> the backend's answer (by default it echoes the client-certificate headers it got).
    /// </summary>
    public static async Task<TlsGatewayHarness> StartAsync(string? apiYaml = null, RequestDelegate? backend = null)
    {
        var harness = new TlsGatewayHarness(System.IO.Directory.CreateTempSubdirectory("gatehouse-tlsx-").FullName);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        harness._backend = builder.Build();
        harness._backend.Run(backend ?? (context =>
        {
            // "subject=<..>;sha256=<..>" of what the gateway forwarded, or "-" where a header did not arrive.
            var subject = context.Request.Headers["X-Gatehouse-Client-Cert-Subject"];
            var sha = context.Request.Headers["X-Gatehouse-Client-Cert-Sha256"];
            return context.Response.WriteAsync($"subject={(subject.Count == 0 ? "-" : subject.ToString())};sha256={(sha.Count == 0 ? "-" : sha.ToString())}");
        }));
        await harness._backend.StartAsync();
        var backendPort = new Uri(harness._backend.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;
        apiYaml ??= """
                  - id: all
                    path: "/**"
            """;
        await File.WriteAllTextAsync(harness.ConfigPath, $$"""
            services:
              - name: s
                nodes: [ { address: "http://127.0.0.1:{{backendPort}}" } ]
                apis:
            {{apiYaml}}
            """);
        return harness;
    }

    /// <summary>Builds a gateway on free loopback ports; <paramref name="args"/> come last and win.</summary>
    public (WebApplication App, int TlsPort) Create(LogSink logs, params string[] args)
    {
        var (app, ports) = CreateOnPorts(logs, args);
        return (app, ports.Tls);
    }

    /// <summary>As <see cref="Create"/>, also naming the plain traffic port.</summary>
    public (WebApplication App, (int Plain, int Tls) Ports) CreateOnPorts(LogSink logs, params string[] args)
    {
        var port = Gatehouse.Testing.LoopbackPorts.Next();
        var tlsPort = Gatehouse.Testing.LoopbackPorts.Next();
        string[] all =
        [
            "--config", ConfigPath, "--port", port.ToString(),
            "--control-port", Gatehouse.Testing.LoopbackPorts.Next().ToString(), "--listen", "127.0.0.1",
            "--node-id", "gw-tls", "--tls-port", tlsPort.ToString(),

            // Stopped after every test: no drain delay (the drain has its own tests).
            "--Gatehouse:Gateway:DrainDelay", "00:00:00", .. args,
        ];
        return (GatewayApplication.Create(all, builder => builder.Logging.AddProvider(logs)), (port, tlsPort));
    }

    /// <summary>Builds and starts a gateway; stopped on dispose.</summary>
    public async Task<(int TlsPort, LogSink Logs)> StartGatewayAsync(params string[] args)
    {
        var (_, tlsPort, logs) = await StartGatewayOnPortsAsync(args);
        return (tlsPort, logs);
    }

    /// <summary>As <see cref="StartGatewayAsync"/>, also naming the plain traffic port.</summary>
    public async Task<(int Port, int TlsPort, LogSink Logs)> StartGatewayOnPortsAsync(params string[] args)
    {
        var logs = new LogSink();
        var (app, ports) = CreateOnPorts(logs, args);
        _started.Add(app);
        await app.StartAsync();
        return (ports.Plain, ports.Tls, logs);
    }

    /// <summary>
    /// One handshake to the gateway sending <paramref name="serverName"/> as SNI (empty: none), offering h2 and
    /// http/1.1: the leaf the client was shown, whether a strict client of <paramref name="pki"/>'s root accepted the
    /// chain sent, and the protocol ALPN chose.
    /// </summary>
    public static async Task<(string Leaf, bool StrictlyTrusted, SslApplicationProtocol Alpn)> HandshakeAsync(int port, string serverName, TestPki pki)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(tcp.GetStream());
        string? leaf = null;
        var trusted = false;
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                var presented = (X509Certificate2)certificate!;
                leaf = presented.Thumbprint;
                trusted = pki.StrictlyTrustsRoot(presented, chain);
                return true;
            },
        });
        return (leaf!, trusted, tls.NegotiatedApplicationProtocol);
    }

    /// <summary>An HTTP client that connects every request to loopback <paramref name="port"/>, whatever host the URI names (so SNI is that host).</summary>
    public static HttpClient LoopbackClient(int port, Func<X509Certificate2, X509Chain?, bool> validate, SslStreamCertificateContext? clientCertificate = null) =>
        new(new SocketsHttpHandler
        {
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.Zero,
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, _) => validate((X509Certificate2)certificate!, chain),
                ClientCertificateContext = clientCertificate,
            },
        })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>Replaces a file by rename, as deploy tools and secret mounts do, so it is never read half-written.</summary>
    public static void Replace(string source, string target)
    {
        var temp = target + ".tmp";
        File.Copy(source, temp, overwrite: true);
        File.Move(temp, target, overwrite: true);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _started)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        await _backend.StopAsync();
        await _backend.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
