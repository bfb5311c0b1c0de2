using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Sdk.Lifecycle;

/// <summary>Counts requests in flight so shutdown can wait for them after the node is deregistered.</summary>
internal sealed class InFlightRequests
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Waits until no request is in flight, or <paramref name="limit"/> passes; true when it drained.</summary>
    public async Task<bool> WaitForZeroAsync(TimeSpan limit, TimeProvider time, CancellationToken cancellationToken)
    {
        var start = time.GetTimestamp();
        while (Count > 0)
        {
            if (time.GetElapsedTime(start) >= limit)
            {
                return false;
            }

            // Polling keeps the per-request path to two interlocked operations; shutdown can afford 20 ms of latency.
            await Task.Delay(TimeSpan.FromMilliseconds(20), time, cancellationToken);
        }

        return true;
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        Interlocked.Increment(ref _count);
        try
        {
            await next(context);
        }
        finally
        {
            Interlocked.Decrement(ref _count);
        }
    }
}

/// <summary>Puts the in-flight counter first in the app's pipeline, so a service needs no <c>app.Use...</c> line.</summary>
internal sealed class InFlightStartupFilter(InFlightRequests inFlight) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) => inFlight.InvokeAsync(context, nextMiddleware));
        next(app);
    };
}
