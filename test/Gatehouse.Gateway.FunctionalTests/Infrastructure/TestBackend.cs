using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// A real Kestrel server on 127.0.0.1 with a free port, playing an upstream node. Stop it by disposing.
/// </summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _stopped;

    private TestBackend(WebApplication app, int port)
    {
        _app = app;
        Port = port;
        BaseAddress = $"http://127.0.0.1:{port}";
    }

    /// <summary>The bound port.</summary>
    public int Port { get; }

    /// <summary><c>http://127.0.0.1:port</c>, no trailing slash.</summary>
    public string BaseAddress { get; }

    /// <summary>Starts a backend whose only endpoint is <paramref name="handler"/>.</summary>
    public static Task<TestBackend> StartAsync(RequestDelegate handler, HttpProtocols protocols = HttpProtocols.Http1)
        => StartWithPipelineAsync(app => app.Run(handler), protocols);

    /// <summary>Starts a backend with a custom pipeline (for example UseWebSockets before Run).</summary>
    /// <param name="configure">Builds the pipeline.</param>
    /// <param name="protocols">What the port speaks.</param>
    /// <param name="services">Registers services the pipeline needs (gRPC, say).</param>
    public static async Task<TestBackend> StartWithPipelineAsync(Action<WebApplication> configure, HttpProtocols protocols = HttpProtocols.Http1,
        Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        services?.Invoke(builder.Services);
        builder.WebHost.UseKestrel(options =>
        {
            options.Limits.MaxRequestBodySize = null;
            options.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = protocols);
        });

        var app = builder.Build();
        configure(app);
        await app.StartAsync();
        return new TestBackend(app, GetPort(app));
    }

    /// <summary>Reads the port Kestrel bound for a port-0 endpoint.</summary>
    public static int GetPort(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.Single()).Port;
    }

    /// <summary>
    /// Stops the node the way a killed process stops: the listener closes at once (new connections are refused)
    /// and every open connection is aborted, requests in flight included, with no graceful drain.
    /// </summary>
    public async Task KillAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            await _app.StopAsync(new CancellationToken(canceled: true));
            await _app.DisposeAsync();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}
