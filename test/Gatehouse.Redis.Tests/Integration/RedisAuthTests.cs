using Gatehouse.Redis.Tests.Infrastructure;

namespace Gatehouse.Redis.Tests.Integration;

/// <summary>The handshake against a redis-server that requires a password.</summary>
public sealed class RedisAuthTests : IAsyncLifetime
{
    private readonly RedisServer _server = new() { ExtraArgs = ["--requirepass", "s3cret"] };

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task ConnectAsync_RightPassword_CommandsWork()
    {
        await using var client = new RedisClient(new RedisOptions { Address = _server.Address, Password = "s3cret" });
        await client.ConnectAsync();
        Assert.Equal(1, await client.IncrementAsync("auth:counter"));
    }

    [Fact]
    public async Task ConnectAsync_WrongPassword_FailsNamingTheHandshake()
    {
        await using var client = new RedisClient(new RedisOptions
        {
            Address = _server.Address,
            Password = "wrong",
            ConnectTimeout = TimeSpan.FromMilliseconds(500),
        });
        var ex = await Assert.ThrowsAsync<RedisConnectionException>(() => client.ConnectAsync());
        Assert.Contains("Handshake", ex.Message);
        Assert.False(client.IsConnected);
    }
}
