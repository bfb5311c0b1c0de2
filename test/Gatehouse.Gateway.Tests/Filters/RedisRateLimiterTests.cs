using System.Collections.Concurrent;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Filters.RateLimiting;
using Gatehouse.Gateway.Filters.RateLimiting.Distributed;
using Gatehouse.Redis;
using Gatehouse.Redis.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using static Gatehouse.Testing.Eventually;

namespace Gatehouse.Gateway.Tests.Filters;

/// <summary>Shared limits against a real redis-server: two backends stand for two gateways.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisRateLimiterTests(RedisServer server)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(RateLimitAlgorithm.TokenBucket)]
    [InlineData(RateLimitAlgorithm.SlidingWindow)]
    public async Task AcquireAsync_TwoGatewaysOneRedis_ShareOneLimit(RateLimitAlgorithm algorithm)
    {
        await using var a = await RedisBackends.StartAsync(server.Address, gatewayCount: 2);
        await using var b = await RedisBackends.StartAsync(server.Address, gatewayCount: 2);
        var scope = $"api:s/{Guid.NewGuid():N}";
        var config = new RateLimitConfig { Algorithm = algorithm, Limit = 10, WindowMs = 60_000, Store = RateLimitStore.Redis };
        var onA = new RedisRateLimiter(scope, config, a.Backend, TimeProvider.System);
        var onB = new RedisRateLimiter(scope, config, b.Backend, TimeProvider.System);

        var admitted = 0;
        for (var i = 0; i < 15; i++)
        {
            admitted += (await onA.AcquireAsync("k")).Allowed ? 1 : 0;
            admitted += (await onB.AcquireAsync("k")).Allowed ? 1 : 0;
        }

        Assert.Equal(10, admitted);
        Assert.True(a.Backend.IsAvailable && b.Backend.IsAvailable);

        // Another key has its own budget; a refusal says how long to wait (about one interval, 6 s).
        Assert.True((await onA.AcquireAsync("other")).Allowed);
        var refused = await onB.AcquireAsync("k");
        Assert.False(refused.Allowed);
        Assert.False(refused.Unavailable);
        Assert.InRange(refused.Wait / (double)onB.TimestampFrequency, 0.001, 60);
    }

    [Fact]
    public async Task AcquireAsync_ConcurrentRequests_AdmitExactlyTheLimit()
    {
        await using var a = await RedisBackends.StartAsync(server.Address, gatewayCount: 1);
        var config = new RateLimitConfig { Limit = 100, WindowMs = 60_000, Store = RateLimitStore.Redis };
        var limiter = new RedisRateLimiter($"service:{Guid.NewGuid():N}", config, a.Backend, TimeProvider.System);

        var decisions = await Task.WhenAll(Enumerable.Range(0, 400).Select(_ => Task.Run(async () => await limiter.AcquireAsync(""))));

        Assert.Equal(100, decisions.Count(d => d.Allowed));
    }

    [Fact]
    public async Task AcquireAsync_KeyNamespaced_KeyLivesInRedisWithExpiry()
    {
        await using var a = await RedisBackends.StartAsync(server.Address, gatewayCount: 1);
        var service = Guid.NewGuid().ToString("N");
        var limiter = new RedisRateLimiter($"service:{service}", new RateLimitConfig { Limit = 5, WindowMs = 1000, Store = RateLimitStore.Redis },
            a.Backend, TimeProvider.System);
        Assert.True((await limiter.AcquireAsync("10.0.0.7")).Allowed);

        Assert.InRange(await a.Client.PttlAsync($"gatehouse:rl:{{service:{service}:10.0.0.7}}"), 1, 1000);
    }

    [Fact]
    public void LocalShare_DividesLimitAndBurstByGatewayCount_RoundingUp()
    {
        var config = new RateLimitConfig { Limit = 10, Burst = 7, Store = RateLimitStore.Redis };

        var share = RedisRateLimiter.LocalShare(config, 3);

        Assert.Equal(4, share.Limit);
        Assert.Equal(3, share.Burst);
        Assert.Equal(RateLimitStore.Local, share.Store);
        Assert.Equal(10, RedisRateLimiter.LocalShare(config, 0).Limit);
        Assert.Equal(1, RedisRateLimiter.LocalShare(config with { Limit = 2 }, 5).Limit);
    }

    [Theory]
    [InlineData("global", "g1", "gatehouse:rl:{global:g1:")]
    [InlineData("service:orders", "g1", "gatehouse:rl:{service:orders:")]
    [InlineData("api:orders/get-order", "g1", "gatehouse:rl:{api:orders/get-order:")]
    public void KeyPrefix_Scope_IsNamespaced(string scope, string group, string expected)
    {
        Assert.Equal(expected, RedisRateLimiter.KeyPrefix(scope, group));
    }
}

/// <summary>A backend (one gateway's view of Redis) with a capturing logger and a short probe interval.</summary>
internal sealed class RedisBackends : IAsyncDisposable
{
    private RedisBackends(RedisClient client, RedisRateLimitBackend backend, ListLogger logger)
    {
        Client = client;
        Backend = backend;
        Logger = logger;
    }

    public RedisClient Client { get; }

    public RedisRateLimitBackend Backend { get; }

    public ListLogger Logger { get; }

    /// <summary>A backend whose first probe has run (available when Redis is up).</summary>
    public static async Task<RedisBackends> StartAsync(string address, int gatewayCount, bool waitAvailable = true)
    {
        var client = new RedisClient(new RedisOptions
        {
            Address = address,
            // Outages here are kills (the socket resets at once), so timeouts only need to be long enough that a slow
            // command on a saturated box is not mistaken for an outage and announced.
            ConnectTimeout = TimeSpan.FromSeconds(2),
            CommandTimeout = TimeSpan.FromSeconds(2),
            ReconnectDelay = TimeSpan.FromMilliseconds(50),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
        });
        var logger = new ListLogger();
        var backend = new RedisRateLimitBackend(client, "g1", gatewayCount, TimeSpan.FromMilliseconds(100), logger);
        backend.EnsureStarted();
        if (waitAvailable)
        {
            await WaitUntilAsync(() => backend.IsAvailable, "backend available");
        }

        return new RedisBackends(client, backend, logger);
    }

    public ValueTask DisposeAsync() => Backend.DisposeAsync();
}

internal sealed class ListLogger : ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, int EventId, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, int EventId, string Message)> Entries => _entries.ToArray();

    public int Count(int eventId) => _entries.Count(e => e.EventId == eventId);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => _entries.Enqueue((logLevel, eventId.Id, formatter(state, exception)));
}
