using System.Text;
using Gatehouse.Redis.Protocol;
using Gatehouse.Redis.Tests.Infrastructure;

namespace Gatehouse.Redis.Tests.Integration;

/// <summary>Every command of the client against a real redis-server.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisCommandTests(RedisServer server) : IAsyncLifetime
{
    private RedisClient _client = null!;

    private static string Key() => "test:" + Guid.NewGuid().ToString("N");

    public async Task InitializeAsync()
    {
        _client = new RedisClient(new RedisOptions { Address = server.Address });
        await _client.ConnectAsync();
    }

    public async Task DisposeAsync() => await _client.DisposeAsync();

    [Fact]
    public async Task PingAsync_LiveServer_Answers()
    {
        await _client.PingAsync();
        Assert.True(_client.IsConnected);
    }

    [Fact]
    public async Task SetAndGet_RoundTripsBinaryValue()
    {
        var key = Key();
        byte[] value = [0, 1, 13, 10, 255, (byte)'x'];
        Assert.True(await _client.SetAsync(key, value));
        Assert.Equal(value, await _client.GetAsync(key));
    }

    [Fact]
    public async Task GetAsync_MissingKey_ReturnsNull()
    {
        Assert.Null(await _client.GetAsync(Key()));
    }

    [Fact]
    public async Task SetAsync_NxOnExistingKey_ReturnsFalseAndKeepsValue()
    {
        var key = Key();
        Assert.True(await _client.SetAsync(key, "first", TimeSpan.FromSeconds(30), onlyIfNotExists: true));
        Assert.False(await _client.SetAsync(key, "second", TimeSpan.FromSeconds(30), onlyIfNotExists: true));
        Assert.Equal("first", Encoding.UTF8.GetString((await _client.GetAsync(key))!));
        var ttl = await _client.ExecuteAsync("PTTL", key);
        Assert.InRange(ttl.Integer, 1, 30_000);
    }

    [Fact]
    public async Task SetAsync_WithExpiry_ExpiresKey()
    {
        var key = Key();
        Assert.True(await _client.SetAsync(key, "v", TimeSpan.FromMilliseconds(50)));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await _client.GetAsync(key) is not null)
        {
            Assert.True(DateTime.UtcNow < deadline, "key did not expire");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task IncrementAndExpire_CountAndSetTtl()
    {
        var key = Key();
        Assert.Equal(1, await _client.IncrementAsync(key));
        Assert.Equal(2, await _client.IncrementAsync(key));
        Assert.True(await _client.ExpireAsync(key, TimeSpan.FromSeconds(60)));
        Assert.False(await _client.ExpireAsync(Key(), TimeSpan.FromSeconds(60)));
        Assert.InRange((await _client.ExecuteAsync("PTTL", key)).Integer, 1, 60_000);
    }

    [Fact]
    public async Task DeleteAsync_CountsRemovedKeys()
    {
        var (a, b) = (Key(), Key());
        await _client.SetAsync(a, "1");
        await _client.SetAsync(b, "2");
        Assert.Equal(2, await _client.DeleteAsync(a, b, Key()));
        Assert.Null(await _client.GetAsync(a));
    }

    [Fact]
    public async Task ExecuteAsync_ErrorReply_ThrowsServerException()
    {
        var key = Key();
        await _client.SetAsync(key, "not a number");
        var ex = await Assert.ThrowsAsync<RedisServerException>(() => _client.IncrementAsync(key));
        Assert.StartsWith("ERR", ex.Message);
        await _client.PingAsync(); // the connection is still usable after an error reply
    }

    [Fact]
    public async Task ExecuteAsync_NestedArrayReply_Parses()
    {
        var reply = await _client.ExecuteAsync("EVAL", "return {1, {'a', false}, 'b'}", 0L);
        Assert.Equal(1, reply[0].Integer);
        Assert.Equal("a", reply[1][0].AsString());
        Assert.True(reply[1][1].IsNull); // Lua false becomes a nil bulk string
        Assert.Equal("b", reply[2].AsString());
    }

    [Fact]
    public async Task ExecuteAsync_ManyConcurrentCommands_AllMatchTheirReplies()
    {
        // Thousands in flight at once over the pool: each INCR of its own key returns 1 and each GET its own
        // value, so any reply matched to the wrong command would show.
        const int count = 5000;
        var prefix = Key();
        var tasks = new Task<bool>[count];
        for (var i = 0; i < count; i++)
        {
            var n = i;
            tasks[i] = Task.Run(async () =>
            {
                var key = $"{prefix}:{n}";
                await _client.SetAsync(key, n);
                var value = Encoding.ASCII.GetString((await _client.GetAsync(key))!);
                return value == n.ToString(System.Globalization.CultureInfo.InvariantCulture) && await _client.IncrementAsync(key) == n + 1;
            });
        }

        var results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(results, Assert.True);
    }

    [Fact]
    public async Task ExecuteAsync_LargeReply_ReadAcrossManyReceives()
    {
        var key = Key();
        var big = new string('z', 1_000_000);
        await _client.SetAsync(key, big);
        Assert.Equal(big.Length, (await _client.GetAsync(key))!.Length);
    }

    [Fact]
    public async Task EvalAsync_ScriptNotLoaded_LoadsAndRuns()
    {
        var script = new RedisScript($"return {{KEYS[1], ARGV[1], {Random.Shared.Next()}}}");
        var reply = await _client.EvalAsync(script, ["k"], [42L]);
        Assert.Equal("k", reply[0].AsString());
        Assert.Equal("42", reply[1].AsString());
        var exists = await _client.ExecuteAsync("SCRIPT", "EXISTS", script.Sha1Text);
        Assert.Equal(1, exists[0].Integer);
    }

    [Fact]
    public async Task EvalAsync_AfterScriptFlush_Recovers()
    {
        var script = new RedisScript("return redis.call('INCR', KEYS[1])");
        var key = Key();
        Assert.Equal(1, (await _client.EvalAsync(script, [key], [])).Integer);
        await _client.ExecuteAsync("SCRIPT", "FLUSH");
        Assert.Equal(2, (await _client.EvalAsync(script, [key], [])).Integer);
    }

    [Fact]
    public async Task EvalAsync_ScriptError_ThrowsServerException()
    {
        var script = new RedisScript("return redis.error_reply('BOOM broken')");
        var ex = await Assert.ThrowsAsync<RedisServerException>(() => _client.EvalAsync(script, [], []));
        Assert.Contains("BOOM", ex.Message);
    }

    [Fact]
    public async Task Client_WithDatabase_SelectsIt()
    {
        await using var other = new RedisClient(new RedisOptions { Address = server.Address, Database = 3 });
        await other.ConnectAsync();
        var key = Key();
        await other.SetAsync(key, "in db 3");
        Assert.Null(await _client.GetAsync(key));
        Assert.NotNull(await other.GetAsync(key));
    }

    [Fact]
    public async Task ExecuteAsync_SlowCommand_TimesOut()
    {
        await using var impatient = new RedisClient(new RedisOptions
        {
            Address = server.Address,
            PoolSize = 1,
            CommandTimeout = TimeSpan.FromMilliseconds(100),
        });
        await impatient.ConnectAsync();

        // DEBUG SLEEP holds the server past the timeout; the caller is released, the late reply is discarded,
        // and the next command on the same connection gets its own reply. The sleep is 15 × the timeout because
        // timeouts are found by a timer scan, which a loaded box can delay: a reply that is already there when the
        // scan runs late wins, and that would not be a timeout to test.
        await Assert.ThrowsAsync<RedisTimeoutException>(() => impatient.ExecuteAsync("DEBUG", "SLEEP", "1.5"));
        await Task.Delay(1800); // commands queued behind the sleep would time out too
        await impatient.PingAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("pong", (await impatient.ExecuteAsync("ECHO", "pong").WaitAsync(TimeSpan.FromSeconds(10))).AsString());
    }
}
