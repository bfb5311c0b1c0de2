using System.Text;
using Gatehouse.ZooKeeper.Tests.Infrastructure;

namespace Gatehouse.ZooKeeper.Tests;

[Collection(ZooKeeperCollection.Name)]
public sealed class OperationTests(ZooKeeperServer server) : IAsyncLifetime
{
    private readonly string _root = "/ops-" + Guid.NewGuid().ToString("N")[..8];
    private ZooKeeperClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = await TestClients.ConnectAsync(new ZooKeeperClientOptions { ConnectString = server.ConnectString });
        await _client.CreateAsync(_root, ReadOnlyMemory<byte>.Empty);
    }

    public async Task DisposeAsync() => await _client.DisposeAsync();

    private static byte[] Bytes(string value) => Encoding.UTF8.GetBytes(value);

    [Fact]
    public async Task CreateAsync_Persistent_GetDataReturnsDataAndStat()
    {
        var path = await _client.CreateAsync(_root + "/a", Bytes("hello"));

        var node = await _client.GetDataAsync(path);

        Assert.Equal(_root + "/a", path);
        Assert.Equal("hello", Encoding.UTF8.GetString(node.Data));
        Assert.Equal(0, node.Stat.Version);
        Assert.Equal(5, node.Stat.DataLength);
        Assert.Equal(0, node.Stat.EphemeralOwner);
    }

    [Fact]
    public async Task CreateAsync_Existing_ThrowsNodeExists()
    {
        await _client.CreateAsync(_root + "/dup", Bytes("x"));

        var error = await Assert.ThrowsAsync<NodeExistsException>(() => _client.CreateAsync(_root + "/dup", Bytes("y")));

        Assert.Equal(ZooKeeperErrorCode.NodeExists, error.Code);
        Assert.Equal(_root + "/dup", error.Path);
    }

    [Fact]
    public async Task CreateAsync_MissingParent_ThrowsNoNode()
    {
        await Assert.ThrowsAsync<NoNodeException>(() => _client.CreateAsync(_root + "/missing/child", Bytes("x")));
    }

    [Fact]
    public async Task CreateAsync_UnderEphemeral_ThrowsNoChildrenForEphemerals()
    {
        await _client.CreateAsync(_root + "/eph", Bytes("x"), CreateMode.Ephemeral);

        await Assert.ThrowsAsync<NoChildrenForEphemeralsException>(() => _client.CreateAsync(_root + "/eph/child", Bytes("x")));
    }

    [Theory]
    [InlineData(CreateMode.PersistentSequential, false)]
    [InlineData(CreateMode.EphemeralSequential, true)]
    public async Task CreateAsync_Sequential_AppendsIncreasingTenDigitCounter(CreateMode mode, bool ephemeral)
    {
        await _client.CreateAsync(_root + "/seq", ReadOnlyMemory<byte>.Empty);

        var first = await _client.CreateAsync(_root + "/seq/item-", Bytes("1"), mode);
        var second = await _client.CreateAsync(_root + "/seq/item-", Bytes("2"), mode);

        Assert.Equal(_root + "/seq/item-0000000000", first);
        Assert.Equal(_root + "/seq/item-0000000001", second);
        var stat = await _client.ExistsAsync(second);
        Assert.Equal(ephemeral, stat!.EphemeralOwner == _client.SessionId);
    }

    [Fact]
    public async Task ExistsAsync_Missing_ReturnsNull()
    {
        Assert.Null(await _client.ExistsAsync(_root + "/nothing"));
        Assert.NotNull(await _client.ExistsAsync(_root));
    }

    [Fact]
    public async Task SetDataAsync_WithVersion_ChecksVersion()
    {
        await _client.CreateAsync(_root + "/v", Bytes("0"));

        var stat = await _client.SetDataAsync(_root + "/v", Bytes("1"), version: 0);
        await Assert.ThrowsAsync<BadVersionException>(() => _client.SetDataAsync(_root + "/v", Bytes("2"), version: 0));
        var any = await _client.SetDataAsync(_root + "/v", Bytes("3"));

        Assert.Equal(1, stat.Version);
        Assert.Equal(2, any.Version);
        Assert.Equal("3", Encoding.UTF8.GetString((await _client.GetDataAsync(_root + "/v")).Data));
    }

    [Fact]
    public async Task SetDataAsync_Missing_ThrowsNoNode()
    {
        await Assert.ThrowsAsync<NoNodeException>(() => _client.SetDataAsync(_root + "/nothing", Bytes("x")));
        await Assert.ThrowsAsync<NoNodeException>(() => _client.GetDataAsync(_root + "/nothing"));
        await Assert.ThrowsAsync<NoNodeException>(() => _client.GetChildrenAsync(_root + "/nothing"));
    }

    [Fact]
    public async Task DeleteAsync_ChecksVersionChildrenAndExistence()
    {
        await _client.CreateAsync(_root + "/d", Bytes("x"));
        await _client.CreateAsync(_root + "/d/child", Bytes("x"));

        await Assert.ThrowsAsync<NotEmptyException>(() => _client.DeleteAsync(_root + "/d"));
        await _client.DeleteAsync(_root + "/d/child");
        await Assert.ThrowsAsync<BadVersionException>(() => _client.DeleteAsync(_root + "/d", version: 5));
        await _client.DeleteAsync(_root + "/d", version: 0);
        await Assert.ThrowsAsync<NoNodeException>(() => _client.DeleteAsync(_root + "/d"));

        Assert.Null(await _client.ExistsAsync(_root + "/d"));
    }

    [Fact]
    public async Task GetChildrenAsync_ListsNamesAndCount()
    {
        await _client.CreateAsync(_root + "/p", ReadOnlyMemory<byte>.Empty);
        await _client.CreateAsync(_root + "/p/x", ReadOnlyMemory<byte>.Empty);
        await _client.CreateAsync(_root + "/p/y", ReadOnlyMemory<byte>.Empty);

        var children = await _client.GetChildrenAsync(_root + "/p");

        Assert.Equal(["x", "y"], children.Children.Order());
        Assert.Equal(2, children.Stat.NumChildren);
    }

    [Fact]
    public async Task Ephemeral_DisappearsWhenOwnerCloses()
    {
        var owner = await TestClients.ConnectAsync(new ZooKeeperClientOptions { ConnectString = server.ConnectString });
        await owner.CreateAsync(_root + "/owned", Bytes("x"), CreateMode.Ephemeral);
        Assert.Equal(owner.SessionId, (await _client.ExistsAsync(_root + "/owned"))!.EphemeralOwner);

        await owner.DisposeAsync();

        // closeSession is acknowledged after the session's ephemeral nodes are deleted.
        Assert.Null(await _client.ExistsAsync(_root + "/owned"));
        Assert.Equal(ZooKeeperState.Closed, owner.State);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => owner.ExistsAsync("/"));
    }

    [Fact]
    public async Task MultiAsync_AllSucceed_AppliesAll()
    {
        await _client.CreateAsync(_root + "/m", Bytes("0"));

        var results = await _client.MultiAsync(
        [
            MultiOp.Check(_root + "/m", 0),
            MultiOp.Create(_root + "/m/seq-", Bytes("a"), CreateMode.PersistentSequential),
            MultiOp.SetData(_root + "/m", Bytes("1"), 0),
        ]);

        Assert.Equal(3, results.Count);
        Assert.Equal(_root + "/m/seq-0000000000", results[1].Path);
        Assert.Equal(1, results[2].Stat!.Version);
    }

    [Fact]
    public async Task MultiAsync_OneFails_AppliesNothing()
    {
        await _client.CreateAsync(_root + "/mf", Bytes("0"));

        var error = await Assert.ThrowsAsync<MultiFailedException>(() => _client.MultiAsync(
        [
            MultiOp.Create(_root + "/mf/new", Bytes("a")),
            MultiOp.Delete(_root + "/mf/missing"),
        ]));

        Assert.Equal(ZooKeeperErrorCode.NoNode, error.Code);
        Assert.Equal(1, error.FailedIndex);
        Assert.Null(await _client.ExistsAsync(_root + "/mf/new"));
    }

    [Fact]
    public async Task EnsurePathAsync_CreatesMissingParentsAndIsIdempotent()
    {
        await _client.EnsurePathAsync(_root + "/e1/e2/e3");
        await _client.EnsurePathAsync(_root + "/e1/e2/e3");

        Assert.NotNull(await _client.ExistsAsync(_root + "/e1/e2/e3"));
        await _client.DeleteRecursiveAsync(_root + "/e1");
        Assert.Null(await _client.ExistsAsync(_root + "/e1"));
    }

    [Theory]
    [InlineData("relative")]
    [InlineData("/trailing/")]
    [InlineData("/a//b")]
    [InlineData("/a/../b")]
    public async Task Operations_BadPath_ThrowBeforeSending(string path)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _client.GetDataAsync(path));
    }

    [Fact]
    public async Task Requests_Pipelined_AllCompleteWithTheirOwnReplies()
    {
        await _client.CreateAsync(_root + "/pipe", ReadOnlyMemory<byte>.Empty);

        var creates = Enumerable.Range(0, 200).Select(i => _client.CreateAsync($"{_root}/pipe/n{i}", Bytes($"v{i}")));
        await Task.WhenAll(creates);
        var reads = Enumerable.Range(0, 200).Select(i => _client.GetDataAsync($"{_root}/pipe/n{i}")).ToArray();
        await Task.WhenAll(reads);

        for (var i = 0; i < reads.Length; i++)
        {
            Assert.Equal($"v{i}", Encoding.UTF8.GetString((await reads[i]).Data));
        }

        Assert.Equal(200, (await _client.GetChildrenAsync(_root + "/pipe")).Children.Count);
    }
}
