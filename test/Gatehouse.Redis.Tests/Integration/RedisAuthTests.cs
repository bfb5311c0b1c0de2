using Gatehouse.Redis.Tests.Infrastructure;

namespace Gatehouse.Redis.Tests.Integration;

/// <summary>The handshake against redis-servers that require a password or an ACL user.</summary>
public sealed class RedisAuthTests : IAsyncLifetime
{
    private readonly RedisServer _password = new() { ExtraArgs = ["--requirepass", "s3cret"] };

    // An ACL user that may only touch gatehouse keys, and a default user that is switched off.
    private readonly RedisServer _acl = new()
    {
        ExtraArgs = ["--user", "default", "off", "--user", "gateway", "on", ">gw-pass", "~gatehouse:*", "+@all"],
    };

    public async Task InitializeAsync()
    {
        await _password.InitializeAsync();
        await _acl.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _password.DisposeAsync();
        await _acl.DisposeAsync();
    }

    [Fact]
    public async Task ConnectAsync_RightPassword_CommandsWork()
    {
        await using var client = new RedisClient(new RedisOptions { Address = _password.Address, Password = "s3cret" });
        await client.ConnectAsync();

        Assert.True(await client.SetIfNotExistsAsync("gatehouse:auth", "1", TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task ConnectAsync_WrongPassword_Fails()
    {
        await using var client = new RedisClient(new RedisOptions
        {
            Address = _password.Address,
            Password = "wrong",
            ConnectTimeout = TimeSpan.FromMilliseconds(500),
        });

        await Assert.ThrowsAsync<RedisNotConnectedException>(() => client.ConnectAsync());
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task ConnectAsync_AclUser_WorksWithinItsKeys()
    {
        await using var client = new RedisClient(new RedisOptions { Address = _acl.Address, User = "gateway", Password = "gw-pass" });
        await client.ConnectAsync();

        Assert.True(await client.SetIfNotExistsAsync("gatehouse:acl", "1", TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAnyAsync<Exception>(() => client.SetIfNotExistsAsync("other:acl", "1", TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task ConnectAsync_AclUserWrongPassword_Fails()
    {
        await using var client = new RedisClient(new RedisOptions
        {
            Address = _acl.Address,
            User = "gateway",
            Password = "nope",
            ConnectTimeout = TimeSpan.FromMilliseconds(500),
        });

        await Assert.ThrowsAsync<RedisNotConnectedException>(() => client.ConnectAsync());
    }
}
