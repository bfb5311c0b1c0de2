using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// A named <see cref="TestBackend"/> that counts requests and records their headers. By default it answers
/// <c>name|METHOD|/path?query</c> so tests can see which node served a request and what reached it.
/// </summary>
internal sealed class EchoBackend : IAsyncDisposable
{
    private TestBackend _backend = null!;
    private int _requests;

    private EchoBackend(string name)
    {
        Name = name;
    }

    public string Name { get; }

    public int Port => _backend.Port;

    public string Address => _backend.BaseAddress;

    public int RequestCount => Volatile.Read(ref _requests);

    /// <summary>Request headers of every request, in arrival order.</summary>
    public ConcurrentQueue<CapturedRequest> Seen { get; } = new();

    public static async Task<EchoBackend> StartAsync(string name, RequestDelegate? handler = null)
    {
        var echo = new EchoBackend(name);
        echo._backend = await TestBackend.StartAsync(async context =>
        {
            Interlocked.Increment(ref echo._requests);
            echo.Seen.Enqueue(CapturedRequest.From(context));
            if (handler is not null)
            {
                await handler(context);
                return;
            }

            await context.Response.WriteAsync($"{name}|{context.Request.Method}|{context.Request.Path}{context.Request.QueryString}");
        });
        return echo;
    }

    /// <summary>Stops the node abruptly (see <see cref="TestBackend.KillAsync"/>).</summary>
    public Task KillAsync() => _backend.KillAsync();

    public ValueTask DisposeAsync() => _backend.DisposeAsync();
}
