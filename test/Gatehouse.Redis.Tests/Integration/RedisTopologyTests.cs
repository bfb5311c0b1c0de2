using Gatehouse.Redis.Tests.Infrastructure;

namespace Gatehouse.Redis.Tests.Integration;

/// <summary>The client against a 3-primary Redis Cluster: keys and scripts are routed to the node owning their slot.</summary>
public sealed class RedisClusterClientTests : IAsyncLifetime
{
    private static readonly RedisScript Window = new("""
        redis.call('INCR', KEYS[1] .. ':a')
        return {redis.call('INCR', KEYS[1] .. ':b')}
        """);

    private readonly RedisCluster _cluster = new();

    public Task InitializeAsync() => _cluster.InitializeAsync();

    public Task DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Commands_KeysOnEverySlotRange_RoutedToTheirPrimary()
    {
        await using var client = new RedisClient(new RedisOptions { Address = _cluster.Nodes[0].Address, CommandTimeout = TimeSpan.FromSeconds(5) });
        await client.ConnectAsync();
        await client.PingAsync();
        await client.LoadScriptsAsync(Window);

        // Enough keys that all three primaries own some; a hash tag keeps the keys a script derives in its slot.
        for (var i = 0; i < 60; i++)
        {
            Assert.True(await client.SetIfNotExistsAsync($"gatehouse:nonce:{i}", "1", TimeSpan.FromSeconds(30)));
            Assert.Equal(1, (await client.EvalAsync(Window, $"gatehouse:rl:{{k{i}}}", new RedisScriptArgs()))[0]);
        }

        var primaries = 0;
        foreach (var node in _cluster.Nodes)
        {
            var keys = await RedisCli.RunAsync(node.Port, "dbsize");
            if (int.Parse(keys.Trim(), System.Globalization.CultureInfo.InvariantCulture) > 0 && (await RedisCli.RunAsync(node.Port, "role")).StartsWith("master", StringComparison.Ordinal))
            {
                primaries++;
            }
        }

        Assert.Equal(3, primaries);
    }
}

/// <summary>The client against a Sentinel-managed primary: it asks the Sentinel where the primary is.</summary>
public sealed class RedisSentinelClientTests : IAsyncLifetime
{
    private readonly RedisSentinelSet _sentinel = new();

    public Task InitializeAsync() => _sentinel.InitializeAsync();

    public Task DisposeAsync() => _sentinel.DisposeAsync();

    [Fact]
    public async Task Commands_ThroughSentinel_ReachThePrimary()
    {
        await using var client = new RedisClient(new RedisOptions { Address = _sentinel.Address, CommandTimeout = TimeSpan.FromSeconds(5) });
        await client.ConnectAsync();
        await client.PingAsync();

        Assert.True(await client.SetIfNotExistsAsync("gatehouse:sentinel", "1", TimeSpan.FromSeconds(30)));

        Assert.Contains("1", await RedisCli.RunAsync(_sentinel.Primary.Port, "exists", "gatehouse:sentinel"));
    }
}
