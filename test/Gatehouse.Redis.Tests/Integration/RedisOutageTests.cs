using System.Diagnostics;
using Gatehouse.Redis.Tests.Infrastructure;
using static Gatehouse.Testing.Eventually;

namespace Gatehouse.Redis.Tests.Integration;

/// <summary>Server loss and restart: each test has its own redis-server, which it kills.</summary>
public sealed class RedisOutageTests : IAsyncLifetime
{
    private static readonly RedisScript Increment = new("return {redis.call('INCR', KEYS[1])}");

    private readonly RedisServer _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    private RedisClient NewClient(TimeSpan? commandTimeout = null) => new(new RedisOptions
    {
        Address = _server.Address,

        // Short enough to keep outage tests quick, long enough that a first connect on a saturated 2-core box
        // (process start-up, thread pool ramp-up) is not mistaken for an outage.
        ConnectTimeout = TimeSpan.FromSeconds(2),
        CommandTimeout = commandTimeout ?? TimeSpan.FromSeconds(2),
        ReconnectDelay = TimeSpan.FromMilliseconds(50),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
    });

    [Fact]
    public async Task EvalAsync_ServerKilledAndRestartedOnSamePort_Reconnects()
    {
        await using var client = NewClient();
        await client.ConnectAsync();
        await client.LoadScriptsAsync(Increment);
        Assert.Equal(1, (await client.EvalAsync(Increment, "restart", new RedisScriptArgs()))[0]);

        await _server.StopAsync();
        await WaitUntilAsync(() => !client.IsConnected, "client noticed the server is gone");
        await _server.StartAsync();
        await WaitUntilAsync(() => client.IsConnected, "client reconnected");

        // The new server has an empty script cache and no data: EVALSHA recovers through NOSCRIPT.
        Assert.Equal(1, (await client.EvalAsync(Increment, "restart", new RedisScriptArgs()))[0]);
        await client.PingAsync();
    }

    [Fact]
    public async Task Commands_ServerDown_FailFast()
    {
        await using var client = NewClient();
        await client.ConnectAsync();
        await _server.StopAsync();
        await WaitUntilAsync(() => !client.IsConnected, "client noticed the server is gone");

        // The request path's commands: no wait for a timeout per command (200 × 2 s); generous for a loaded box.
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 100; i++)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => client.SetIfNotExistsAsync("k" + i, "1", TimeSpan.FromSeconds(1)));
            await Assert.ThrowsAnyAsync<Exception>(() => client.EvalAsync(Increment, "k" + i, new RedisScriptArgs()));
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"200 failures took {watch.Elapsed}");

        // The probe re-reads the topology first while a server is down, so it may take up to a connect timeout,
        // but it fails too.
        watch.Restart();
        await Assert.ThrowsAnyAsync<Exception>(() => client.PingAsync());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"the probe took {watch.Elapsed}");
    }

    [Fact]
    public async Task ConnectAsync_NothingListening_ThrowsWithinConnectTimeout()
    {
        await _server.StopAsync();
        await using var client = NewClient();
        var watch = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<RedisNotConnectedException>(() => client.ConnectAsync());

        Assert.Contains(_server.Address, ex.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task ConnectAsync_ServerStartsLater_ConnectsInBackground()
    {
        await _server.StopAsync();
        await using var client = NewClient();
        await Assert.ThrowsAsync<RedisNotConnectedException>(() => client.ConnectAsync());
        await Assert.ThrowsAnyAsync<Exception>(() => client.PingAsync());

        await _server.StartAsync();

        await WaitUntilAsync(() => client.IsConnected, "client connected once the server came up");
        await client.PingAsync();
    }

    [Fact]
    public async Task Commands_ServerStopsAnswering_TimeOutNearTheCommandTimeoutThenRecover()
    {
        await using var client = NewClient(TimeSpan.FromMilliseconds(300));
        await client.ConnectAsync();
        await _server.SignalAsync(pause: true);

        // The socket stays open but nothing comes back: the caller is released by the command timeout (found
        // on the next heartbeat, half the timeout later), not after the library's default second.
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<Exception>(() => client.SetIfNotExistsAsync("paused", "1", TimeSpan.FromSeconds(5)).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"released after {watch.Elapsed}");

        await _server.SignalAsync(pause: false);
        await WaitUntilAsync(async () =>
        {
            try
            {
                await client.PingAsync();
                return true;
            }
            catch (Exception)
            {
                return false;
            }
        }, "answers again after the server woke");
    }
}
