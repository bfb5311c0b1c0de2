using System.Net;
using System.Security.Cryptography.X509Certificates;
using Gatehouse.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// A real Kestrel HTTPS server on 127.0.0.1 playing an upstream node, with the server certificate of a
/// <see cref="TestPki"/> (sending its intermediate). Optionally requires a client certificate that chains to the PKI's
/// root. Every response body is <c>tls|{client certificate subject or "none"}|{path}</c>.
/// </summary>
internal sealed class TlsBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TlsBackend(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <summary><c>https://127.0.0.1:port</c>.</summary>
    public string Address => $"https://127.0.0.1:{Port}";

    /// <param name="pki">Issues the server certificate and, with <paramref name="requireClientCertificate"/>, is the only trusted client root.</param>
    /// <param name="requireClientCertificate">Refuse connections without a client certificate of <paramref name="pki"/>.</param>
    /// <param name="configure">Replaces the default endpoint (for example UseWebSockets and a Run of its own).</param>
    public static async Task<TlsBackend> StartAsync(TestPki pki, bool requireClientCertificate = false, Action<WebApplication>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(https =>
        {
            https.ServerCertificate = pki.Server;
            https.ServerCertificateChain = [X509CertificateLoader.LoadCertificate(pki.Intermediate.RawData)];
            if (requireClientCertificate)
            {
                https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                https.ClientCertificateValidation = (certificate, chain, _) => pki.StrictlyTrustsRoot(certificate, chain);
            }
        })));

        var app = builder.Build();
        if (configure is not null)
        {
            configure(app);
        }
        else
        {
            app.Run(context =>
            {
                var subject = context.Connection.ClientCertificate?.Subject ?? "none";
                return context.Response.WriteAsync($"tls|{subject}|{context.Request.Path}");
            });
        }

        await app.StartAsync();
        return new TlsBackend(app, TestBackend.GetPort(app));
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}
