using Microsoft.Extensions.Hosting;

namespace Gatehouse.Gateway.Filters.RateLimiting;

/// <summary>Periodically drops idle per-key rate-limit cells, off the request path.</summary>
internal sealed class RateLimitSweeper(RateLimiterRegistry registry, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            registry.Sweep();
        }
    }
}
