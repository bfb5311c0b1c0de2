using Gatehouse.Core.Config;
using Gatehouse.Gateway.Filters.Auth;
using Gatehouse.Gateway.Filters.RateLimiting.Distributed;
using Gatehouse.Redis.Tests.Infrastructure;

namespace Gatehouse.Gateway.Tests.Filters;

/// <summary>A 3-primary Redis Cluster and a Sentinel-managed primary, started once for the tests that only read and write.</summary>
public sealed class RedisTopologies : IAsyncLifetime
{
    public RedisCluster Cluster { get; } = new();

    public RedisSentinelSet Sentinel { get; } = new();

    public string Address(string topology) => topology == "cluster" ? Cluster.Address : Sentinel.Address;

    public async Task InitializeAsync()
    {
        await Cluster.InitializeAsync();
        await Sentinel.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Sentinel.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class RedisTopologiesCollection : ICollectionFixture<RedisTopologies>
{
    public const string Name = "redis-topologies";
}

/// <summary>
/// The shared limits and the shared nonce store on the Redis deployments production runs: Redis Cluster (keys on
/// every primary; the sliding window's derived keys stay in their slot through the hash tag) and Sentinel.
/// </summary>
[Collection(RedisTopologiesCollection.Name)]
public sealed class RedisTopologyTests(RedisTopologies topologies)
{
    [Theory]
    [InlineData("cluster", RateLimitAlgorithm.TokenBucket)]
    [InlineData("cluster", RateLimitAlgorithm.SlidingWindow)]
    [InlineData("sentinel", RateLimitAlgorithm.TokenBucket)]
    [InlineData("sentinel", RateLimitAlgorithm.SlidingWindow)]
    public async Task AcquireAsync_ThreeGatewaysManyKeys_EachKeyAdmitsExactlyItsLimit(string topology, RateLimitAlgorithm algorithm)
    {
        var address = topologies.Address(topology);
        await using var a = await RedisBackends.StartAsync(address, gatewayCount: 3);
        await using var b = await RedisBackends.StartAsync(address, gatewayCount: 3);
        await using var c = await RedisBackends.StartAsync(address, gatewayCount: 3);
        var scope = $"api:s/{Guid.NewGuid():N}";
        var config = new RateLimitConfig { Algorithm = algorithm, Limit = 4, WindowMs = 60_000, Store = RateLimitStore.Redis };
        var gateways = new[]
        {
            new RedisRateLimiter(scope, config, a.Backend, TimeProvider.System),
            new RedisRateLimiter(scope, config, b.Backend, TimeProvider.System),
            new RedisRateLimiter(scope, config, c.Backend, TimeProvider.System),
        };

        // 24 keys land on every primary of the cluster; each is asked 3 × 3 times, one gateway after another.
        for (var k = 0; k < 24; k++)
        {
            var admitted = 0;
            for (var i = 0; i < 3; i++)
            {
                foreach (var gateway in gateways)
                {
                    admitted += (await gateway.AcquireAsync("client-" + k)).Allowed ? 1 : 0;
                }
            }

            Assert.Equal(4, admitted);
        }

        Assert.True(a.Backend.IsAvailable && b.Backend.IsAvailable && c.Backend.IsAvailable);
        Assert.DoesNotContain(a.Logger.Entries, e => e.EventId == 3501);
    }

    [Theory]
    [InlineData("cluster")]
    [InlineData("sentinel")]
    public async Task TryUseAsync_TwoGateways_ReplayOnTheOtherRefused(string topology)
    {
        var address = topologies.Address(topology);
        await using var a = await NonceStores.StartAsync(address);
        await using var b = await NonceStores.StartAsync(address);

        for (var i = 0; i < 30; i++)
        {
            var nonce = Guid.NewGuid().ToString("N");
            Assert.Equal(NonceUse.Fresh, await a.Store.TryUseAsync("app", nonce, TimeSpan.FromSeconds(60)));
            Assert.Equal(NonceUse.Replayed, await b.Store.TryUseAsync("app", nonce, TimeSpan.FromSeconds(60)));
        }
    }
}
