using System.Text;
using Gatehouse.ZooKeeper.Tests.Infrastructure;

namespace Gatehouse.ZooKeeper.Tests;

/// <summary>Connection loss, server crash and session expiry against the real server.</summary>
[Collection(ZooKeeperCollection.Name)]
public sealed class SessionTests(ZooKeeperServer server)
{
    private static byte[] Bytes(string value) => Encoding.UTF8.GetBytes(value);

    [Fact]
    public async Task ServerKilledAndRestarted_ClientResumesSession_EphemeralAndWatchesSurvive()
    {
        var root = "/crash-" + Guid.NewGuid().ToString("N")[..8];
        var states = new Recorder<ZooKeeperStateChange>();
        var client = await TestClients.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = server.ConnectString,
            SessionTimeout = TimeSpan.FromSeconds(40), // longer than a JVM restart on a loaded box
        });
        client.StateChanged += states.Add;
        var session = client.SessionId;
        await client.CreateAsync(root, Bytes("0"));
        await client.CreateAsync(root + "/eph", Bytes("e"), CreateMode.Ephemeral);
        var dataEvents = new Recorder<WatchedEvent>();
        var childEvents = new Recorder<WatchedEvent>();
        await client.GetDataAsync(root, dataEvents.Add);
        await client.GetChildrenAsync(root, childEvents.Add);

        await server.KillAsync();
        await states.WaitForAsync(s => s.State == ZooKeeperState.Disconnected);

        // While the server is down, a request waits for a connection; a caller may give up on it.
        using (var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ExistsAsync(root, cancellationToken: giveUp.Token));
        }

        await server.StartAsync();
        var resumed = await states.WaitForAsync(s => s.State == ZooKeeperState.Connected, TimeSpan.FromSeconds(60));

        Assert.False(resumed.IsNewSession);
        Assert.Equal(session, client.SessionId);
        Assert.Equal(session, (await client.ExistsAsync(root + "/eph"))!.EphemeralOwner);

        // The watches were re-registered with SetWatches: changes by another client fire them.
        await using var other = await TestClients.ConnectAsync(new ZooKeeperClientOptions { ConnectString = server.ConnectString });
        await other.SetDataAsync(root, Bytes("1"));
        await other.CreateAsync(root + "/new", ReadOnlyMemory<byte>.Empty);
        Assert.Equal(WatchedEventType.NodeDataChanged, (await dataEvents.WaitForAsync(_ => true)).Type);
        Assert.Equal(WatchedEventType.NodeChildrenChanged, (await childEvents.WaitForAsync(_ => true)).Type);

        await client.DisposeAsync();
        Assert.Null(await other.ExistsAsync(root + "/eph"));
    }

    [Fact]
    public async Task ConnectionDropped_InFlightFailsOrCompletes_ChangesWhileAwayFireOnReconnect()
    {
        var root = "/drop-" + Guid.NewGuid().ToString("N")[..8];
        await using var proxy = new TcpProxy(server.Port);
        var states = new Recorder<ZooKeeperStateChange>();
        await using var client = await TestClients.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = proxy.ConnectString,
            SessionTimeout = TimeSpan.FromSeconds(10),
        });
        client.StateChanged += states.Add;
        await using var other = await TestClients.ConnectAsync(new ZooKeeperClientOptions { ConnectString = server.ConnectString });
        await client.CreateAsync(root, Bytes("0"));
        var events = new Recorder<WatchedEvent>();
        await client.GetDataAsync(root, events.Add);

        proxy.Partition();
        await states.WaitForAsync(s => s.State == ZooKeeperState.Disconnected);
        await other.SetDataAsync(root, Bytes("changed while away"));
        proxy.Heal();

        // SetWatches carries the last zxid the client saw: the server fires the watch for the change it missed.
        var fired = await events.WaitForAsync(_ => true);
        Assert.Equal(WatchedEventType.NodeDataChanged, fired.Type);
        Assert.False((await states.WaitForAsync(s => s.State == ZooKeeperState.Connected)).IsNewSession);
    }

    [Fact]
    public async Task ConnectionDropped_RequestsInFlight_FailWithConnectionLoss()
    {
        await using var proxy = new TcpProxy(server.Port);
        var states = new Recorder<ZooKeeperStateChange>();
        await using var client = await TestClients.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = proxy.ConnectString,
            SessionTimeout = TimeSpan.FromSeconds(10),
        });
        client.StateChanged += states.Add;

        // The relay swallows what the client sends, so these requests are written and await replies that never come;
        // then the link drops.
        proxy.Blackhole();
        var requests = Enumerable.Range(0, 50).Select(_ => client.ExistsAsync("/")).ToArray();
        await Task.Delay(200);
        proxy.Partition();

        foreach (var request in requests)
        {
            await Assert.ThrowsAsync<ConnectionLossException>(() => request);
        }

        proxy.Heal();
        await states.WaitForAsync(s => s.State == ZooKeeperState.Connected);
        Assert.NotNull(await client.ExistsAsync("/"));
    }

    [Fact]
    public async Task SilentLink_NoRepliesForTwoThirdsOfTimeout_DisconnectsAndReconnects()
    {
        await using var proxy = new TcpProxy(server.Port);
        var states = new Recorder<ZooKeeperStateChange>();
        await using var client = await TestClients.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = proxy.ConnectString,
            SessionTimeout = TimeSpan.FromSeconds(3),
            ConnectTimeout = TimeSpan.FromSeconds(1),
        });
        client.StateChanged += states.Add;

        // The socket stays open but nothing comes back (not even ping replies): only the read timeout can notice.
        var started = DateTime.UtcNow;
        proxy.Blackhole();
        await states.WaitForAsync(s => s.State == ZooKeeperState.Disconnected);
        var noticed = DateTime.UtcNow - started;
        proxy.Heal();

        // Read timeout = 2/3 of 3 s; the upper bound is loose for a loaded machine but below "never".
        Assert.InRange(noticed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        await states.WaitForAsync(s => s.State == ZooKeeperState.Connected);
        Assert.NotNull(await client.ExistsAsync("/"));
    }

    [Fact]
    public async Task Request_NoReplyWithinRequestTimeout_ThrowsTimeoutAndClientRecovers()
    {
        await using var proxy = new TcpProxy(server.Port);
        await using var client = await TestClients.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = proxy.ConnectString,
            SessionTimeout = TimeSpan.FromSeconds(20), // read timeout (2/3) far beyond the request timeout
            RequestTimeout = TimeSpan.FromSeconds(1),
        });

        proxy.Blackhole();
        var error = await Assert.ThrowsAsync<ZooKeeperTimeoutException>(() => client.ExistsAsync("/"));
        proxy.Heal();

        Assert.Equal(ZooKeeperErrorCode.OperationTimeout, error.Code);
        Assert.Equal("/", error.Path);
        Assert.Equal(ZooKeeperState.Connected, client.State);
    }

    [Fact]
    public async Task SessionExpired_NewSession_KeeperRecreatesNodes_ChildrenWatcherRearmed()
    {
        var nodes = "/expiry-" + Guid.NewGuid().ToString("N")[..8] + "/services/orders/nodes";
        await using var proxy = new TcpProxy(server.Port);
        var states = new Recorder<ZooKeeperStateChange>();
        var client = await TestClients.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = proxy.ConnectString,
            SessionTimeout = TimeSpan.FromSeconds(4),
        });
        client.StateChanged += states.Add;
        await using var observer = await TestClients.ConnectAsync(new ZooKeeperClientOptions { ConnectString = server.ConnectString });

        await using var keeper = new EphemeralNodeKeeper(client);
        var recreated = new Recorder<IReadOnlyCollection<string>>();
        keeper.Recreated += recreated.Add;
        await keeper.RegisterAsync(nodes + "/10.0.0.1:80", Bytes("a"));
        var snapshots = new Recorder<IReadOnlyDictionary<string, byte[]>>();
        await using var watcher = new ChildrenWatcher(client, nodes, snapshots.Add);
        await watcher.StartAsync();
        Assert.Equal(["10.0.0.1:80"], watcher.Current.Keys);
        var plainWatch = new Recorder<WatchedEvent>();
        await client.ExistsAsync(nodes + "/never", plainWatch.Add);
        var oldSession = client.SessionId;

        // Expire the session the standard way: cut the client off, then have a second client take over the session
        // (same id and password) and close it. The server ends the session and deletes its ephemeral nodes.
        proxy.Partition();
        await states.WaitForAsync(s => s.State == ZooKeeperState.Disconnected);
        var usurper = await TestClients.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = server.ConnectString,
            SessionId = oldSession,
            SessionPassword = client.SessionPassword,
        });
        Assert.Equal(oldSession, usurper.SessionId);
        await usurper.DisposeAsync();
        Assert.Null(await observer.ExistsAsync(nodes + "/10.0.0.1:80"));
        proxy.Heal();

        var expired = await states.WaitForAsync(s => s.State == ZooKeeperState.Expired);
        var fresh = await states.WaitForAsync(s => s.State == ZooKeeperState.Connected && s.IsNewSession);
        Assert.Equal(oldSession, expired.SessionId);
        Assert.NotEqual(oldSession, fresh.SessionId);
        Assert.Equal(new WatchedEvent(WatchedEventType.None, ZooKeeperState.Expired, nodes + "/never"), await plainWatch.WaitForAsync(_ => true));

        // The keeper put the node back, owned by the new session.
        await recreated.WaitForAsync(paths => paths.Contains(nodes + "/10.0.0.1:80"));
        Assert.Equal(client.SessionId, (await observer.ExistsAsync(nodes + "/10.0.0.1:80"))!.EphemeralOwner);

        // The children watcher is armed again in the new session: children and data changes reach it.
        await observer.CreateAsync(nodes + "/10.0.0.2:80", Bytes("b"), CreateMode.Ephemeral);
        await snapshots.WaitForAsync(s => s.Count == 2 && s.ContainsKey("10.0.0.1:80") && s.ContainsKey("10.0.0.2:80"));
        await observer.SetDataAsync(nodes + "/10.0.0.2:80", Bytes("b2"));
        await snapshots.WaitForAsync(s => s.TryGetValue("10.0.0.2:80", out var data) && Encoding.UTF8.GetString(data) == "b2");
        await keeper.UpdateAsync(nodes + "/10.0.0.1:80", Bytes("a2"));
        await snapshots.WaitForAsync(s => s.TryGetValue("10.0.0.1:80", out var data) && Encoding.UTF8.GetString(data) == "a2");

        await client.DisposeAsync();
    }

    [Fact]
    public async Task ChildrenWatcher_ParentMissing_EmptyThenFollowsCreation()
    {
        var parent = "/cw-" + Guid.NewGuid().ToString("N")[..8];
        await using var client = await TestClients.ConnectAsync(new ZooKeeperClientOptions { ConnectString = server.ConnectString });
        var snapshots = new Recorder<IReadOnlyDictionary<string, byte[]>>();
        await using var watcher = new ChildrenWatcher(client, parent, snapshots.Add);

        await watcher.StartAsync();
        Assert.Empty(watcher.Current);

        await client.CreateAsync(parent, ReadOnlyMemory<byte>.Empty);
        await client.CreateAsync(parent + "/x", Bytes("1"));
        await snapshots.WaitForAsync(s => s.ContainsKey("x"));
        await client.DeleteAsync(parent + "/x");
        await snapshots.WaitForAsync(s => s.Count == 0 && snapshots.Items.Any(p => p.ContainsKey("x")));
    }
}
