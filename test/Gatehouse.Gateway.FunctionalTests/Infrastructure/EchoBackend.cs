using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// A real Kestrel backend on a loopback port. By default it answers <c>name|METHOD|/path?query</c> so tests
/// can see which node served a request and what path and query reached it.
/// </summary>
internal sealed class EchoBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private EchoBackend(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    public int Port { get; private set; }

    public string Address => $"http://127.0.0.1:{Port}";

    public int RequestCount => Volatile.Read(ref _requests);

    /// <summary>Request headers of every request, in arrival order.</summary>
    public ConcurrentQueue<IHeaderDictionary> SeenHeaders { get; } = new();

    public static async Task<EchoBackend> StartAsync(string name, RequestDelegate? handler = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var backend = new EchoBackend(app, name);
        app.Run(async context =>
        {
            Interlocked.Increment(ref backend._requests);
            backend.SeenHeaders.Enqueue(new HeaderDictionary(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase)));
            if (handler is not null)
            {
                await handler(context);
                return;
            }

            await context.Response.WriteAsync($"{name}|{context.Request.Method}|{context.Request.Path}{context.Request.QueryString}");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        backend.Port = new Uri(address).Port;
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
