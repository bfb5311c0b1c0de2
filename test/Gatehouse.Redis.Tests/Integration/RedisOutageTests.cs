using System.Diagnostics;
using Gatehouse.Redis.Tests.Infrastructure;
using static Gatehouse.Testing.Eventually;

namespace Gatehouse.Redis.Tests.Integration;

/// <summary>Server loss and restart: each test has its own redis-server, which it kills.</summary>
public sealed class RedisOutageTests : IAsyncLifetime
{
    private readonly RedisServer _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    private RedisClient NewClient() => new(new RedisOptions
    {
        Address = _server.Address,
        PoolSize = 2,

        // Short enough to keep outage tests quick, long enough that a first connect on a saturated 2-core box
        // (process start-up, thread pool ramp-up) is not mistaken for an outage.
        ConnectTimeout = TimeSpan.FromSeconds(2),
        ReconnectDelay = TimeSpan.FromMilliseconds(50),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
    });

    [Fact]
    public async Task ExecuteAsync_ServerKilledAndRestartedOnSamePort_Reconnects()
    {
        await using var client = NewClient();
        await client.ConnectAsync();
        var script = new Gatehouse.Redis.RedisScript("return redis.call('INCR', KEYS[1])");
        Assert.Equal(1, (await client.EvalAsync(script, ["restart"], [])).Integer);

        await _server.StopAsync();
        await WaitUntilAsync(() => !client.IsConnected, "client noticed the server is gone");
        await _server.StartAsync();
        await WaitUntilAsync(() => client.IsConnected, "client reconnected");

        // The new server has an empty script cache and no data: EVALSHA recovers through NOSCRIPT.
        Assert.Equal(1, (await client.EvalAsync(script, ["restart"], [])).Integer);
        await client.PingAsync();
    }

    [Fact]
    public async Task ExecuteAsync_ServerDown_FailsFastWithConnectionException()
    {
        await using var client = NewClient();
        await client.ConnectAsync();
        await _server.StopAsync();
        await WaitUntilAsync(() => !client.IsConnected, "client noticed the server is gone");

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 100; i++)
        {
            var ex = await Assert.ThrowsAsync<RedisConnectionException>(() => client.PingAsync());
            Assert.Contains(_server.Address, ex.Message);
        }

        // Generous bound for a loaded box: the point is no wait for a timeout per command (100 × 1 s).
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"100 failures took {watch.Elapsed}");
    }

    [Fact]
    public async Task ExecuteAsync_InFlightWhenServerDies_FailsInsteadOfHanging()
    {
        await using var client = NewClient();
        await client.ConnectAsync();
        var sleeping = client.ExecuteAsync("DEBUG", "SLEEP", "3");
        await Task.Delay(100);
        await _server.StopAsync();
        var ex = await Record.ExceptionAsync(() => sleeping.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(ex is RedisConnectionException or RedisTimeoutException, ex?.ToString());
    }

    [Fact]
    public async Task ConnectAsync_NothingListening_ThrowsWithinConnectTimeout()
    {
        await _server.StopAsync();
        await using var client = NewClient();
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<RedisConnectionException>(() => client.ConnectAsync());
        Assert.Contains(_server.Address, ex.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task ConnectAsync_ServerStartsLater_ConnectsInBackground()
    {
        await _server.StopAsync();
        await using var client = NewClient();
        client.Start();
        await Assert.ThrowsAsync<RedisConnectionException>(() => client.PingAsync());
        await _server.StartAsync();
        await WaitUntilAsync(() => client.IsConnected, "client connected once the server came up");
        await client.PingAsync();
    }

    [Fact]
    public async Task ExecuteAsync_ServerStopsAnswering_TimesOutThenReconnectsWhenItWakes()
    {
        await using var client = new RedisClient(new RedisOptions
        {
            Address = _server.Address,
            PoolSize = 1,
            CommandTimeout = TimeSpan.FromMilliseconds(200),
            ConnectTimeout = TimeSpan.FromMilliseconds(300),
            ReconnectDelay = TimeSpan.FromMilliseconds(50),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(300),
        });
        await client.ConnectAsync();
        await _server.SignalAsync(pause: true);

        // The socket stays open but nothing comes back: each caller is released by the timeout, and once the
        // oldest command is long overdue the connection is dropped instead of queueing forever.
        await Assert.ThrowsAsync<RedisTimeoutException>(() => client.PingAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        await WaitUntilAsync(() => !client.IsConnected, "stuck connection dropped");
        await Assert.ThrowsAsync<RedisConnectionException>(() => client.PingAsync());

        await _server.SignalAsync(pause: false);
        await WaitUntilAsync(() => client.IsConnected, "reconnected after the server woke");
        await client.PingAsync();
    }

}
