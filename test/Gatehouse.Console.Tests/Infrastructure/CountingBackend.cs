using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Console.Tests.Infrastructure;

/// <summary>A real backend node on a loopback port (Kestrel) that answers every request with its id and counts them.</summary>
public sealed class CountingBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private long _count;

    private CountingBackend(string id, int port)
    {
        Id = id;
        Port = port;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        _app = builder.Build();
        _app.Run(context =>
        {
            Interlocked.Increment(ref _count);
            return context.Response.WriteAsync(Id);
        });
    }

    public string Id { get; }

    public int Port { get; }

    public string Address => $"http://127.0.0.1:{Port}";

    /// <summary>Requests answered so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    public static async Task<CountingBackend> StartAsync(string id)
    {
        var backend = new CountingBackend(id, Gatehouse.Scenario.Tests.GatehouseProcess.FreePort());
        await backend._app.StartAsync();
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
