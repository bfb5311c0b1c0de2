using Gatehouse.Gateway.Filters.Auth;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Redis;
using Gatehouse.Redis.Tests.Infrastructure;
using static Gatehouse.Testing.Eventually;

namespace Gatehouse.Gateway.Tests.Filters;

/// <summary>The shared nonce store against a real redis-server: two stores stand for two gateways.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisNonceStoreTests(RedisServer server)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(1);

    private static string NewNonce() => Guid.NewGuid().ToString("N");

    [Fact]
    public async Task TryUseAsync_FirstUse_FreshAndStoredWithTtl_ReuseReplayed()
    {
        await using var gw = await NonceStores.StartAsync(server.Address);
        var nonce = NewNonce();

        Assert.Equal(NonceUse.Fresh, await gw.Store.TryUseAsync("app-a", nonce, Ttl));
        Assert.Equal(NonceUse.Replayed, await gw.Store.TryUseAsync("app-a", nonce, Ttl));

        var key = $"gatehouse:nonce:g1:5:app-a:{nonce}";
        Assert.Equal(key, gw.Store.Key("app-a", nonce));
        Assert.InRange(await gw.Client.PttlAsync(key), 1, 60_000);
    }

    [Fact]
    public async Task TryUseAsync_UsedOnOneGateway_ReplayedOnTheOther()
    {
        await using var a = await NonceStores.StartAsync(server.Address);
        await using var b = await NonceStores.StartAsync(server.Address);
        var nonce = NewNonce();

        Assert.Equal(NonceUse.Fresh, await a.Store.TryUseAsync("app", nonce, Ttl));
        Assert.Equal(NonceUse.Replayed, await b.Store.TryUseAsync("app", nonce, Ttl));
        Assert.Equal(NonceUse.Replayed, await a.Store.TryUseAsync("app", nonce, Ttl));
    }

    [Fact]
    public async Task TryUseAsync_SameNonceAtOnceOnTwoGateways_ExactlyOneFresh()
    {
        await using var a = await NonceStores.StartAsync(server.Address);
        await using var b = await NonceStores.StartAsync(server.Address);
        var nonce = NewNonce();

        var results = await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
            Task.Run(() => (i % 2 == 0 ? a : b).Store.TryUseAsync("app", nonce, Ttl).AsTask())));

        Assert.Equal(1, results.Count(r => r == NonceUse.Fresh));
        Assert.Equal(63, results.Count(r => r == NonceUse.Replayed));
    }

    [Fact]
    public async Task TryUseAsync_AfterTtlInRedis_FreshAgainOnAnotherGateway()
    {
        await using var a = await NonceStores.StartAsync(server.Address);
        await using var b = await NonceStores.StartAsync(server.Address);
        var nonce = NewNonce();
        var ttl = TimeSpan.FromMilliseconds(300);

        Assert.Equal(NonceUse.Fresh, await a.Store.TryUseAsync("app", nonce, ttl));
        Assert.Equal(NonceUse.Replayed, await b.Store.TryUseAsync("app", nonce, ttl));

        // Redis expires the key (b never recorded it locally, so only Redis decides on b).
        var key = a.Store.Key("app", nonce);
        await WaitUntilAsync(async () => !await a.Client.ExistsAsync(key), "key expired");
        Assert.Equal(NonceUse.Fresh, await b.Store.TryUseAsync("app", nonce, ttl));
    }

    [Theory]
    [InlineData("app-a", "n1", "app-b", "n1")]
    [InlineData("a:b", "c", "a", "b:c")] // ':' in an appKey must not make two keys collide
    [InlineData("app", "n1", "app", "N1")]
    public async Task TryUseAsync_DifferentAppOrNonce_Isolated(string app1, string nonce1, string app2, string nonce2)
    {
        await using var gw = await NonceStores.StartAsync(server.Address);
        var suffix = NewNonce();

        Assert.Equal(NonceUse.Fresh, await gw.Store.TryUseAsync(app1, nonce1 + suffix, Ttl));
        Assert.Equal(NonceUse.Fresh, await gw.Store.TryUseAsync(app2, nonce2 + suffix, Ttl));
    }

    [Fact]
    public async Task TryUseAsync_SameAppAndNonceInAnotherGroup_Isolated()
    {
        await using var g1 = await NonceStores.StartAsync(server.Address, group: "g1");
        await using var g2 = await NonceStores.StartAsync(server.Address, group: "g2");
        var nonce = NewNonce();

        Assert.Equal(NonceUse.Fresh, await g1.Store.TryUseAsync("app", nonce, Ttl));
        Assert.Equal(NonceUse.Fresh, await g2.Store.TryUseAsync("app", nonce, Ttl));
    }
}

/// <summary>What the shared nonce store does while Redis is unreachable; each test has its own server to stop.</summary>
public sealed class RedisNonceStoreOutageTests : IAsyncLifetime
{
    private const int Unavailable = 3551;
    private const int Available = 3552;
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(1);

    private readonly RedisServer _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task RedisStopped_LocalFallback_RefusesReplaysSeenByThisNode_LogsOnce()
    {
        await using var gw = await NonceStores.StartAsync(_server.Address);
        Assert.Equal(NonceUse.Fresh, await gw.Store.TryUseAsync("app", "before", Ttl));

        await _server.StopAsync();

        // Seen before the outage: the local copy still knows it.
        Assert.Equal(NonceUse.Replayed, await gw.Store.TryUseAsync("app", "before", Ttl));
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(NonceUse.Fresh, await gw.Store.TryUseAsync("app", $"during-{i}", Ttl));
            Assert.Equal(NonceUse.Replayed, await gw.Store.TryUseAsync("app", $"during-{i}", Ttl));
        }

        Assert.False(gw.Store.IsAvailable);
        await Task.Delay(500); // several failed probes
        Assert.Equal(1, gw.Logger.Count(Unavailable));
        Assert.Contains(_server.Address, gw.Logger.Entries.Single(e => e.EventId == Unavailable).Message);
    }

    [Fact]
    public async Task RedisStopped_FailClosed_Unavailable()
    {
        await using var gw = await NonceStores.StartAsync(_server.Address, fallback: NonceStoreFallback.FailClosed);
        await _server.StopAsync();

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(NonceUse.Unavailable, await gw.Store.TryUseAsync("app", $"n{i}", Ttl));
        }

        Assert.Equal(1, gw.Logger.Count(Unavailable));
    }

    [Fact]
    public async Task RedisRestarted_SharedAgain_LoggedOnce_NonceUsedDuringOutageStillReplayedHere()
    {
        await using var gw = await NonceStores.StartAsync(_server.Address);
        Assert.Equal(1, gw.Logger.Count(Available));
        await _server.StopAsync();
        Assert.Equal(NonceUse.Fresh, await gw.Store.TryUseAsync("app", "during", Ttl));

        await _server.StartAsync();
        await WaitUntilAsync(() => Task.FromResult(gw.Store.IsAvailable), "store recovered");

        Assert.Equal(2, gw.Logger.Count(Available));
        Assert.Contains("recovered", gw.Logger.Entries.Last(e => e.EventId == Available).Message);
        Assert.Equal(NonceUse.Replayed, await gw.Store.TryUseAsync("app", "during", Ttl)); // Redis never saw it; this node did
        Assert.Equal(NonceUse.Fresh, await gw.Store.TryUseAsync("app", "after", Ttl));
        Assert.True(await gw.Client.ExistsAsync(gw.Store.Key("app", "after")));
        Assert.Equal(1, gw.Logger.Count(Unavailable));
    }

    [Fact]
    public async Task Start_RedisUnreachable_FallbackFromFirstRequest_ThenShared()
    {
        await _server.StopAsync();
        await using var gw = await NonceStores.StartAsync(_server.Address, waitAvailable: false);

        Assert.Equal(NonceUse.Fresh, await gw.Store.TryUseAsync("app", "n1", Ttl));
        Assert.Equal(NonceUse.Replayed, await gw.Store.TryUseAsync("app", "n1", Ttl));
        await WaitUntilAsync(() => Task.FromResult(gw.Logger.Count(Unavailable) == 1), "unreachable logged");

        await _server.StartAsync();
        await WaitUntilAsync(() => Task.FromResult(gw.Store.IsAvailable), "store connected");
        Assert.Equal(NonceUse.Fresh, await gw.Store.TryUseAsync("app", "n2", Ttl));
        Assert.True(await gw.Client.ExistsAsync(gw.Store.Key("app", "n2")));
    }
}

/// <summary>One gateway's nonce store and its own Redis client.</summary>
internal sealed class NonceStores : IAsyncDisposable
{
    private NonceStores(RedisClient client, RedisNonceStore store, ListLogger logger)
    {
        Client = client;
        Store = store;
        Logger = logger;
    }

    public RedisClient Client { get; }

    public RedisNonceStore Store { get; }

    public ListLogger Logger { get; }

    public static async Task<NonceStores> StartAsync(string address, string group = "g1",
        NonceStoreFallback fallback = NonceStoreFallback.Local, bool waitAvailable = true)
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
        var store = new RedisNonceStore(client, group, new LocalNonceStore(TimeProvider.System), fallback,
            TimeSpan.FromMilliseconds(100), address, logger);
        if (waitAvailable)
        {
            await WaitUntilAsync(() => Task.FromResult(store.IsAvailable), "store available");
        }

        return new NonceStores(client, store, logger);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await Client.DisposeAsync();
    }
}
