using Gatehouse.Redis.Tests.Infrastructure;
using StackExchange.Redis;

namespace Gatehouse.Redis.Tests.Integration;

/// <summary>The commands the gateway sends, against a real standalone redis-server.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisClientTests(RedisServer server) : IAsyncLifetime
{
    private static readonly RedisScript Increment = new("return {redis.call('INCRBY', KEYS[1], ARGV[1]), tonumber(ARGV[2])}");

    private RedisClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = new RedisClient(new RedisOptions { Address = server.Address, CommandTimeout = TimeSpan.FromSeconds(5) });
        await _client.ConnectAsync();
    }

    public async Task DisposeAsync() => await _client.DisposeAsync();

    private static string Key() => "test:" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task SetIfNotExistsAsync_SecondTime_FalseAndTtlSet()
    {
        var key = Key();

        Assert.True(await _client.SetIfNotExistsAsync(key, "1", TimeSpan.FromSeconds(30)));
        Assert.False(await _client.SetIfNotExistsAsync(key, "2", TimeSpan.FromSeconds(30)));

        var db = _client.Multiplexer!.GetDatabase();
        Assert.Equal("1", (string?)await db.StringGetAsync(key));
        Assert.InRange((await db.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task EvalAsync_Script_ReturnsIntegers()
    {
        var key = Key();

        Assert.Equal(new long[] { 5, 7 }, await _client.EvalAsync(Increment, key, new RedisScriptArgs(5, 7)));
        Assert.Equal(new long[] { 10, 7 }, await _client.EvalAsync(Increment, key, new RedisScriptArgs(5, 7)));
    }

    [Fact]
    public async Task EvalAsync_AfterScriptFlush_LoadsTheScriptAgain()
    {
        var key = Key();
        await _client.LoadScriptsAsync(Increment);
        Assert.Equal(1, (await _client.EvalAsync(Increment, key, new RedisScriptArgs(1, 0)))[0]);

        // A flushed script cache (or a restarted server) answers NOSCRIPT to EVALSHA: the call still succeeds.
        await RedisCli.RunAsync(server.Port, "script", "flush");

        Assert.Equal(2, (await _client.EvalAsync(Increment, key, new RedisScriptArgs(1, 0)))[0]);
    }

    [Fact]
    public async Task PingAsync_Connected_Succeeds()
    {
        await _client.PingAsync();
        Assert.True(_client.IsConnected);
    }

    [Fact]
    public async Task EvalAsync_ScriptError_ThrowsServerError()
    {
        var broken = new RedisScript("return redis.call('NOSUCHCOMMAND')");

        await Assert.ThrowsAsync<RedisServerException>(() => _client.EvalAsync(broken, Key(), new RedisScriptArgs()));
    }

    [Fact]
    public async Task Address_WithPassword_DoesNotShowIt()
    {
        await using var client = new RedisClient(new RedisOptions { Address = $"{server.Address},password=hunter2", Password = "other" });

        Assert.DoesNotContain("hunter2", client.Address);
        Assert.DoesNotContain("other", client.Address);
        Assert.Contains(server.Address, client.Address);
    }
}
