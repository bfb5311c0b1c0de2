using System.Text;
using Gatehouse.ZooKeeper.Tests.Infrastructure;

namespace Gatehouse.ZooKeeper.Tests;

[Collection(ZooKeeperCollection.Name)]
public sealed class WatchTests(ZooKeeperServer server) : IAsyncLifetime
{
    private readonly string _root = "/watch-" + Guid.NewGuid().ToString("N")[..8];
    private ZooKeeperClient _client = null!;
    private ZooKeeperClient _other = null!;

    public async Task InitializeAsync()
    {
        _client = await TestClients.ConnectAsync(new ZooKeeperClientOptions { ConnectString = server.ConnectString });
        _other = await TestClients.ConnectAsync(new ZooKeeperClientOptions { ConnectString = server.ConnectString });
        await _client.CreateAsync(_root, ReadOnlyMemory<byte>.Empty);
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _other.DisposeAsync();
    }

    private static byte[] Bytes(string value) => Encoding.UTF8.GetBytes(value);

    /// <summary>
    /// After the first event, a second change is made and a marker watch (armed after it) is awaited: the marker's
    /// event arrives after any event the second change could cause, so "no second event" is checked, not guessed.
    /// </summary>
    private async Task AssertNoFurtherEventAsync(Recorder<WatchedEvent> events, Func<Task> change)
    {
        var marker = new Recorder<WatchedEvent>();
        await _client.CreateAsync(_root + "/marker", ReadOnlyMemory<byte>.Empty);
        await change();
        await _client.GetDataAsync(_root + "/marker", marker.Add);
        await _other.SetDataAsync(_root + "/marker", Bytes("m"));
        await marker.WaitForAsync(e => e.Type == WatchedEventType.NodeDataChanged);
        Assert.Single(events.Items);
    }

    [Fact]
    public async Task GetDataWatch_DataChanged_FiresOnceOnly()
    {
        await _client.CreateAsync(_root + "/d", Bytes("0"));
        var events = new Recorder<WatchedEvent>();
        await _client.GetDataAsync(_root + "/d", events.Add);

        await _other.SetDataAsync(_root + "/d", Bytes("1"));
        var fired = await events.WaitForAsync(_ => true);

        Assert.Equal(new WatchedEvent(WatchedEventType.NodeDataChanged, ZooKeeperState.Connected, _root + "/d"), fired);
        await AssertNoFurtherEventAsync(events, () => _other.SetDataAsync(_root + "/d", Bytes("2")));
    }

    [Fact]
    public async Task ExistsWatch_MissingNode_FiresCreatedOnce()
    {
        var events = new Recorder<WatchedEvent>();
        Assert.Null(await _client.ExistsAsync(_root + "/later", events.Add));

        await _other.CreateAsync(_root + "/later", Bytes("x"));
        var fired = await events.WaitForAsync(_ => true);

        Assert.Equal(WatchedEventType.NodeCreated, fired.Type);
        Assert.Equal(_root + "/later", fired.Path);
        await AssertNoFurtherEventAsync(events, () => _other.SetDataAsync(_root + "/later", Bytes("y")));
    }

    [Fact]
    public async Task ExistsWatch_ExistingNode_FiresDeletedOnce()
    {
        await _client.CreateAsync(_root + "/gone", Bytes("x"));
        var events = new Recorder<WatchedEvent>();
        Assert.NotNull(await _client.ExistsAsync(_root + "/gone", events.Add));

        await _other.DeleteAsync(_root + "/gone");
        var fired = await events.WaitForAsync(_ => true);

        Assert.Equal(WatchedEventType.NodeDeleted, fired.Type);
        await AssertNoFurtherEventAsync(events, () => _other.CreateAsync(_root + "/gone", Bytes("again")));
    }

    [Fact]
    public async Task ChildrenWatch_ChildAdded_FiresChildrenChangedOnce()
    {
        await _client.CreateAsync(_root + "/p", ReadOnlyMemory<byte>.Empty);
        var events = new Recorder<WatchedEvent>();
        await _client.GetChildrenAsync(_root + "/p", events.Add);

        await _other.CreateAsync(_root + "/p/c1", ReadOnlyMemory<byte>.Empty);
        var fired = await events.WaitForAsync(_ => true);

        Assert.Equal(new WatchedEvent(WatchedEventType.NodeChildrenChanged, ZooKeeperState.Connected, _root + "/p"), fired);
        await AssertNoFurtherEventAsync(events, () => _other.CreateAsync(_root + "/p/c2", ReadOnlyMemory<byte>.Empty));
    }

    [Fact]
    public async Task ChildrenWatch_DataChangeOfParent_DoesNotFire()
    {
        await _client.CreateAsync(_root + "/q", ReadOnlyMemory<byte>.Empty);
        var events = new Recorder<WatchedEvent>();
        await _client.GetChildrenAsync(_root + "/q", events.Add);

        await _other.SetDataAsync(_root + "/q", Bytes("x"));
        await _other.CreateAsync(_root + "/q/c", ReadOnlyMemory<byte>.Empty);

        var fired = await events.WaitForAsync(_ => true);
        Assert.Equal(WatchedEventType.NodeChildrenChanged, fired.Type);
    }

    [Fact]
    public async Task GetDataWatch_NodeDeleted_FiresDeleted()
    {
        await _client.CreateAsync(_root + "/del", Bytes("x"));
        var events = new Recorder<WatchedEvent>();
        await _client.GetDataAsync(_root + "/del", events.Add);

        await _other.DeleteAsync(_root + "/del");

        Assert.Equal(WatchedEventType.NodeDeleted, (await events.WaitForAsync(_ => true)).Type);
    }

    [Fact]
    public async Task SameWatcherTwice_SamePath_FiresOnce()
    {
        await _client.CreateAsync(_root + "/twice", Bytes("x"));
        var events = new Recorder<WatchedEvent>();
        Action<WatchedEvent> watcher = events.Add;
        await _client.GetDataAsync(_root + "/twice", watcher);
        await _client.ExistsAsync(_root + "/twice", watcher);

        await _other.SetDataAsync(_root + "/twice", Bytes("y"));
        await events.WaitForAsync(_ => true);

        await AssertNoFurtherEventAsync(events, () => Task.CompletedTask);
    }

    [Fact]
    public async Task Close_PendingWatch_FiresNoneClosed()
    {
        var client = await TestClients.ConnectAsync(new ZooKeeperClientOptions { ConnectString = server.ConnectString });
        var events = new Recorder<WatchedEvent>();
        await client.ExistsAsync(_root + "/never", events.Add);

        await client.DisposeAsync();

        var fired = await events.WaitForAsync(_ => true);
        Assert.Equal(new WatchedEvent(WatchedEventType.None, ZooKeeperState.Closed, _root + "/never"), fired);
    }
}
