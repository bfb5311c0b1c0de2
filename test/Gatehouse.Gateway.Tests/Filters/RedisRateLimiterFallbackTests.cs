using Gatehouse.Core.Config;
using Gatehouse.Gateway.Filters.RateLimiting;
using Gatehouse.Gateway.Filters.RateLimiting.Distributed;
using Gatehouse.Redis.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Testing.Eventually;

namespace Gatehouse.Gateway.Tests.Filters;

/// <summary>What shared limits do while Redis is unreachable; each test has its own redis-server to stop.</summary>
public sealed class RedisRateLimiterFallbackTests : IAsyncLifetime
{
    private const int Unavailable = 3501;
    private const int Available = 3502;
    private const int NotConfigured = 3503;

    private readonly RedisServer _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    private static RateLimitConfig Limit(RateLimitFallback fallback, int limit = 20) =>
        new() { Limit = limit, WindowMs = 60_000, Store = RateLimitStore.Redis, Fallback = fallback };

    private static async Task<(int Admitted, int Unavailable)> DriveAsync(IRateLimiter limiter, int requests, string key = "k")
    {
        int admitted = 0, unavailable = 0;
        for (var i = 0; i < requests; i++)
        {
            var decision = await limiter.AcquireAsync(key);
            admitted += decision.Allowed ? 1 : 0;
            unavailable += decision.Unavailable ? 1 : 0;
        }

        return (admitted, unavailable);
    }

    [Fact]
    public async Task AcquireAsync_RedisStopped_LocalFallbackAdmitsLimitDividedByGatewayCount()
    {
        await using var gw = await RedisBackends.StartAsync(_server.Address, gatewayCount: 4);
        var limiter = new RedisRateLimiter("global", Limit(RateLimitFallback.Local), gw.Backend, TimeProvider.System);
        Assert.Equal(3, (await DriveAsync(limiter, 3, "before")).Admitted);

        await _server.StopAsync();
        var (admitted, unavailable) = await DriveAsync(limiter, 30);

        Assert.Equal(5, admitted); // 20 / 4 gateways
        Assert.Equal(0, unavailable);
        Assert.False(gw.Backend.IsAvailable);
    }

    [Fact]
    public async Task AcquireAsync_RedisStopped_FailOpenAdmitsAll()
    {
        await using var gw = await RedisBackends.StartAsync(_server.Address, gatewayCount: 4);
        var limiter = new RedisRateLimiter("global", Limit(RateLimitFallback.FailOpen), gw.Backend, TimeProvider.System);
        await _server.StopAsync();

        Assert.Equal((30, 0), await DriveAsync(limiter, 30));
    }

    [Fact]
    public async Task AcquireAsync_RedisStopped_FailClosedRejectsAllAsUnavailable()
    {
        await using var gw = await RedisBackends.StartAsync(_server.Address, gatewayCount: 4);
        var limiter = new RedisRateLimiter("global", Limit(RateLimitFallback.FailClosed), gw.Backend, TimeProvider.System);
        await _server.StopAsync();

        Assert.Equal((0, 30), await DriveAsync(limiter, 30));
    }

    [Fact]
    public async Task Outage_LoggedOnceAndRecoveryLoggedOnce_SharedCountingResumes()
    {
        await using var gw = await RedisBackends.StartAsync(_server.Address, gatewayCount: 2);
        var tokenBucket = new RedisRateLimiter("service:a", Limit(RateLimitFallback.Local, limit: 1000), gw.Backend, TimeProvider.System);
        var slidingWindow = new RedisRateLimiter("service:b",
            Limit(RateLimitFallback.FailOpen, limit: 1000) with { Algorithm = RateLimitAlgorithm.SlidingWindow }, gw.Backend, TimeProvider.System);
        Assert.Equal(1, gw.Logger.Count(Available));

        await _server.StopAsync();
        for (var i = 0; i < 50; i++)
        {
            await tokenBucket.AcquireAsync("k");
            await slidingWindow.AcquireAsync("k");
        }

        await Task.Delay(500); // several failed probes
        Assert.Equal(1, gw.Logger.Count(Unavailable));

        await _server.StartAsync();
        await WaitUntilAsync(() => gw.Backend.IsAvailable, "backend recovered");
        Assert.Equal(2, gw.Logger.Count(Available));
        Assert.Contains("recovered", gw.Logger.Entries.Last(e => e.EventId == Available).Message);

        // Counting is shared again: the restarted (empty) server now holds the keys.
        Assert.True((await tokenBucket.AcquireAsync("k")).Allowed);
        Assert.True((await slidingWindow.AcquireAsync("k")).Allowed);
        Assert.True(await gw.Client.ExistsAsync("gatehouse:rl:{service:a:k}"));
        Assert.Equal(1, gw.Logger.Count(Unavailable));
    }

    [Fact]
    public async Task Start_RedisUnreachable_FallbackFromFirstRequestThenConnectsWhenRedisComesUp()
    {
        await _server.StopAsync();
        await using var gw = await RedisBackends.StartAsync(_server.Address, gatewayCount: 2, waitAvailable: false);
        var limiter = new RedisRateLimiter("global", Limit(RateLimitFallback.Local, limit: 6), gw.Backend, TimeProvider.System);

        Assert.Equal(3, (await DriveAsync(limiter, 10)).Admitted);
        await WaitUntilAsync(() => gw.Logger.Count(Unavailable) == 1, "unreachable logged");

        await _server.StartAsync();
        await WaitUntilAsync(() => gw.Backend.IsAvailable, "backend connected");
        Assert.Equal(6, (await DriveAsync(limiter, 10, "fresh")).Admitted);
        Assert.Equal(1, gw.Logger.Count(Unavailable));
    }

    [Fact]
    public async Task Backend_NoRedisConfigured_WarnsOnceAndLimitsUseFallback()
    {
        var logger = new ListLogger();
        var backend = new RedisRateLimitBackend(null, "g1", 2, TimeSpan.FromSeconds(1), logger);
        var first = new RedisRateLimiter("global", Limit(RateLimitFallback.Local, limit: 4), backend, TimeProvider.System);
        _ = new RedisRateLimiter("service:x", Limit(RateLimitFallback.FailOpen), backend, TimeProvider.System);

        var admitted = 0;
        for (var i = 0; i < 10; i++)
        {
            var pending = first.AcquireAsync("");
            Assert.True(pending.IsCompletedSuccessfully); // decided locally, no network
            admitted += (await pending).Allowed ? 1 : 0;
        }

        Assert.Equal(2, admitted);
        Assert.Equal(1, logger.Count(NotConfigured));
        Assert.False(backend.IsAvailable);
    }

    [Fact]
    public void Registry_RedisStore_CreatesSharedLimiterAndKeepsItAcrossEqualConfig()
    {
        var registry = new RateLimiterRegistry(TimeProvider.System,
            new RedisRateLimitBackend(null, "g1", 1, TimeSpan.FromSeconds(1), NullLogger.Instance));

        var shared = registry.GetOrCreate("global", Limit(RateLimitFallback.Local));
        var local = registry.GetOrCreate("service:x", Limit(RateLimitFallback.Local) with { Store = RateLimitStore.Local });

        Assert.IsType<RedisRateLimiter>(shared);
        Assert.IsType<KeyedRateLimiter>(local);
        Assert.Same(shared, registry.GetOrCreate("global", Limit(RateLimitFallback.Local)));
        Assert.NotSame(shared, registry.GetOrCreate("global", Limit(RateLimitFallback.FailOpen)));
    }
}
