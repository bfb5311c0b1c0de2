using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Admin.Tests.Infrastructure;

/// <summary>A real HTTP endpoint on loopback that records every POST body; it can answer 503 to the first N calls.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _failuresLeft;
    private int _calls;

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>Bodies of the calls answered 2xx, in arrival order.</summary>
    public ConcurrentQueue<JsonElement> Delivered { get; } = new();

    /// <summary>Every call, failed ones included.</summary>
    public int Calls => Volatile.Read(ref _calls);

    public string Url => _app.Urls.First() + "/hook";

    /// <summary>The next <paramref name="count"/> calls are answered 503.</summary>
    public void FailNext(int count) => Volatile.Write(ref _failuresLeft, count);

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", async (HttpContext context) =>
        {
            Interlocked.Increment(ref receiver._calls);
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            if (Interlocked.Decrement(ref receiver._failuresLeft) >= 0)
            {
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }

            receiver.Delivered.Enqueue(body);
            return Results.NoContent();
        });
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
