using System.Text;
using Gatehouse.ZooKeeper.Tests.Infrastructure;

namespace Gatehouse.ZooKeeper.Tests;

[Collection(ZooKeeperCollection.Name)]
public sealed class ConnectionTests(ZooKeeperServer server)
{
    [Fact]
    public async Task ConnectAsync_NegotiatesSessionTimeoutAndSession()
    {
        await using var client = await TestClients.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = server.ConnectString,
            SessionTimeout = TimeSpan.FromSeconds(4),
        });

        Assert.Equal(ZooKeeperState.Connected, client.State);
        Assert.NotEqual(0, client.SessionId);
        Assert.Equal(16, client.SessionPassword.Length);
        Assert.Equal(TimeSpan.FromSeconds(4), client.SessionTimeout);
    }

    [Fact]
    public async Task ConnectAsync_TimeoutBelowServerMinimum_IsRaisedToTwoTicks()
    {
        await using var client = await TestClients.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = server.ConnectString,
            SessionTimeout = TimeSpan.FromMilliseconds(200),
        });

        Assert.Equal(TimeSpan.FromSeconds(1), client.SessionTimeout); // minSessionTimeout = 2 × tickTime (500 ms)
    }

    [Fact]
    public async Task ConnectAsync_DeadServerFirst_ConnectsToTheLiveOne()
    {
        var dead = ZooKeeperServer.FreePort();

        await using var client = await TestClients.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = $"127.0.0.1:{dead},{server.ConnectString}",
        });

        Assert.Equal(ZooKeeperState.Connected, client.State);
        Assert.NotNull(await client.ExistsAsync("/"));
    }

    [Fact]
    public async Task ConnectAsync_Chroot_PathsAreRelativeToIt()
    {
        var chroot = "/chroot-" + Guid.NewGuid().ToString("N")[..8];
        await using var plain = await TestClients.ConnectAsync(new ZooKeeperClientOptions { ConnectString = server.ConnectString });
        await plain.EnsurePathAsync(chroot);

        await using var rooted = await TestClients.ConnectAsync(new ZooKeeperClientOptions { ConnectString = server.ConnectString + chroot });
        var created = await rooted.CreateAsync("/a", Encoding.UTF8.GetBytes("x"));
        var events = new Recorder<WatchedEvent>();
        await rooted.GetDataAsync("/a", events.Add);
        await plain.SetDataAsync(chroot + "/a", Encoding.UTF8.GetBytes("y"));

        Assert.Equal("/a", created);
        Assert.NotNull(await plain.ExistsAsync(chroot + "/a"));
        Assert.Equal(["a"], (await rooted.GetChildrenAsync("/")).Children);
        Assert.Equal("/a", (await events.WaitForAsync(_ => true)).Path);
    }

    [Fact]
    public async Task Pings_IdleLongerThanSessionTimeout_SessionStaysConnected()
    {
        var states = new Recorder<ZooKeeperStateChange>();
        await using var client = await TestClients.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = server.ConnectString,
            // 2 s, not less: the client gives up on a silent server after two thirds of it (as ZooKeeper's own
            // client does), and a loaded test box can stall a process for most of a second.
            SessionTimeout = TimeSpan.FromSeconds(2),
        });
        client.StateChanged += states.Add;
        var session = client.SessionId;
        await client.CreateAsync("/idle-" + Guid.NewGuid().ToString("N")[..8], ReadOnlyMemory<byte>.Empty, CreateMode.Ephemeral);

        await Task.Delay(TimeSpan.FromSeconds(5)); // two and a half session timeouts without a request

        Assert.NotNull(await client.ExistsAsync("/"));
        Assert.Equal(session, client.SessionId);
        Assert.Empty(states.Items);
    }

    [Fact]
    public async Task Request_Cancelled_ThrowsOperationCanceled()
    {
        await using var client = await TestClients.ConnectAsync(new ZooKeeperClientOptions { ConnectString = server.ConnectString });
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ExistsAsync("/", cancellationToken: cancelled.Token));
        Assert.NotNull(await client.ExistsAsync("/")); // the client is unaffected
    }

    [Theory]
    [InlineData("")]
    [InlineData("host:notaport")]
    [InlineData("host:70000")]
    public void ConnectionString_Malformed_Throws(string value)
    {
        Assert.ThrowsAny<ArgumentException>(() =>
        {
            try
            {
                ConnectionString.Parse(value);
            }
            catch (FormatException exception)
            {
                throw new ArgumentException(exception.Message, exception);
            }
        });
    }

    [Fact]
    public void ConnectionString_ServersAndChroot_Parsed()
    {
        var parsed = ConnectionString.Parse("a:1, b ,[::1]:3/app/x/");

        Assert.Equal([("a", 1), ("b", 2181), ("::1", 3)], parsed.Servers);
        Assert.Equal("/app/x", parsed.Chroot);
    }
}
