using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gatehouse.Sdk.Lifecycle;
using Gatehouse.Sdk.Registry;
using Gatehouse.ZooKeeper;
using Gatehouse.ZooKeeper.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Sdk.Tests;

/// <summary>
/// ZooKeeper as the registry, end to end against a real ZooKeeper 3.8: the SDK's ephemeral znode, and the admin's
/// mirror of <c>/gatehouse</c> into its store (and so into published config versions).
/// </summary>
[Collection(ZooKeeperCollection.Name)]
public sealed class ZooKeeperRegistryTests(ZooKeeperServer zk)
{
    private static string NewGroup() => "zk" + Guid.NewGuid().ToString("N")[..8];

    private async Task<ZooKeeperClient> ConnectAsync(string? connectString = null, TimeSpan? sessionTimeout = null)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = connectString ?? zk.ConnectString,
            SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(10),
        }, deadline.Token);
    }

    private static byte[] NodeJson(int port, string? apiPath = null) => Encoding.UTF8.GetBytes(
        $$"""{"host":"127.0.0.1","port":{{port}},"weight":50,"apis":[{"methods":["GET"],"path":"{{apiPath ?? $"/p{port}"}}","matchKind":"exact"}]}""");

    private static async Task CreateNodeAsync(ZooKeeperClient client, string group, string service, int port, byte[]? data = null)
    {
        await client.EnsurePathAsync(RegistryLayout.Nodes(group, service));
        await client.CreateAsync(RegistryLayout.Node(group, service, $"127.0.0.1:{port}"), data ?? NodeJson(port), CreateMode.Ephemeral);
    }

    private static async Task<string[]> AddressesAsync(TestAdmin admin, string group, string service) =>
        await admin.ServiceAsync(group, service) is { } s
            ? s.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("address").GetString()!).Order(StringComparer.Ordinal).ToArray()
            : [];

    [Fact]
    public async Task Sdk_RegistersEphemeralZnode_MirrorPublishesNodeAndApis_StopDeletesItAndDrains()
    {
        await using var admin = await TestAdmin.StartAsync(zooKeeper: zk.ConnectString);
        var group = NewGroup();
        await admin.CreateGroupAsync(group);
        await using var service = GatehouseSdkTests.CreateService("zookeeper://" + zk.ConnectString, group, o => o.Registry = "zookeeper");
        await service.App.StartAsync();

        await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "orders") == 1, "node mirrored from ZooKeeper");
        var config = (await admin.ServiceAsync(group, "orders"))!.Value;
        var node = config.GetProperty("nodes")[0];
        Assert.Equal(service.Url, node.GetProperty("address").GetString());
        Assert.Equal("zooKeeper", node.GetProperty("source").GetString());
        Assert.Equal("dc1", node.GetProperty("loc").GetString());
        Assert.Equal("/healthz", node.GetProperty("healthPath").GetString());
        Assert.Equal("2.0.0", node.GetProperty("metadata").GetProperty("gatehouse.registry.version").GetString());
        var apis = config.GetProperty("apis").EnumerateArray()
            .Select(a => $"{string.Join(',', a.GetProperty("methods").EnumerateArray().Select(m => m.GetString()))} {a.GetProperty("path").GetString()}")
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Equal([" /files/**", "DELETE,GET /orders/{id}", "GET /slow", "POST /orders"], apis);

        // The znode: ephemeral, named host:port, the node as JSON.
        await using var observer = await ConnectAsync();
        var path = RegistryLayout.Node(group, "orders", $"127.0.0.1:{new Uri(service.Url).Port}");
        var znode = await observer.GetDataAsync(path);
        Assert.NotEqual(0, znode.Stat.EphemeralOwner);
        using (var json = JsonDocument.Parse(znode.Data))
        {
            Assert.Equal(new Uri(service.Url).Port, json.RootElement.GetProperty("port").GetInt32());
            Assert.Equal(4, json.RootElement.GetProperty("apis").GetArrayLength()); // the health path is not an API
        }

        // The session is the lease: well past the admin's 2 s HTTP lease TTL nothing expires and nothing is published.
        var versions = await admin.VersionCountAsync(group);
        await Task.Delay(TimeSpan.FromSeconds(3));
        config = (await admin.ServiceAsync(group, "orders"))!.Value;
        Assert.False(config.GetProperty("nodes")[0].GetProperty("metadata").TryGetProperty("gatehouse.registry.state", out _));
        Assert.Equal(versions, await admin.VersionCountAsync(group));

        // Stop: the znode is deleted first, the node leaves the config, then the in-flight request holds the stop.
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var slow = client.GetAsync($"{service.Url}/slow");
        await service.SlowEntered.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var stopping = service.App.StopAsync();
        await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "orders") == 0, "node removed after deregistration");
        Assert.Null(await observer.ExistsAsync(path));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(stopping.IsCompleted, "the host stopped while a request was in flight");
        service.SlowRelease.SetResult();
        using var response = await slow.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Mirror_BurstOfZnodes_FewVersions_DeletedZnodeRemoved()
    {
        await using var admin = await TestAdmin.StartAsync(zooKeeper: zk.ConnectString);
        var group = NewGroup();
        await admin.CreateGroupAsync(group);
        var before = await admin.VersionCountAsync(group);
        await using var client = await ConnectAsync();

        await client.EnsurePathAsync(RegistryLayout.Nodes(group, "stock"));
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => CreateNodeAsync(client, group, "stock", 6000 + i)));
        await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "stock") == 10, "ten nodes mirrored");

        // Ten znodes created together are gathered by the debounce: a few versions, not ten.
        Assert.InRange(await admin.VersionCountAsync(group) - before, 1, 3);
        var config = (await admin.ServiceAsync(group, "stock"))!.Value;
        Assert.All(config.GetProperty("nodes").EnumerateArray(), n => Assert.Equal(50, n.GetProperty("weight").GetInt32()));
        Assert.Equal(10, config.GetProperty("apis").GetArrayLength());

        var versions = await admin.VersionCountAsync(group);
        await client.DeleteAsync(RegistryLayout.Node(group, "stock", "127.0.0.1:6003"));
        await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "stock") == 9, "deleted znode removed");
        Assert.DoesNotContain("http://127.0.0.1:6003", await AddressesAsync(admin, group, "stock"));
        Assert.Equal(versions + 1, await admin.VersionCountAsync(group));
    }

    [Fact]
    public async Task Mirror_SessionClosedOrExpired_NodeRemoved()
    {
        await using var admin = await TestAdmin.StartAsync(zooKeeper: zk.ConnectString);
        var group = NewGroup();
        await admin.CreateGroupAsync(group);

        // A process that closes its session without deleting (e.g. exits): ZooKeeper deletes the znode at once.
        var closing = await ConnectAsync();
        await CreateNodeAsync(closing, group, "orders", 7001);
        await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "orders") == 1, "node mirrored");
        await closing.DisposeAsync();
        await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "orders") == 0, "node removed when its session closed");

        // A process cut off until its session expires (forced the standard way: a second client takes the session over
        // and closes it).
        await using var proxy = new TcpProxy(zk.Port);
        await using var cutOff = await ConnectAsync(proxy.ConnectString);
        await CreateNodeAsync(cutOff, group, "orders", 7002);
        await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "orders") == 1, "second node mirrored");
        proxy.Partition();
        var usurper = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = zk.ConnectString,
            SessionId = cutOff.SessionId,
            SessionPassword = cutOff.SessionPassword,
        });
        await usurper.DisposeAsync();
        await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "orders") == 0, "node removed when its session expired");
    }

    [Fact]
    public async Task Sdk_SessionExpired_ZnodeRecreated_NodeBackInConfig()
    {
        await using var admin = await TestAdmin.StartAsync(zooKeeper: zk.ConnectString);
        var group = NewGroup();
        await admin.CreateGroupAsync(group);
        await using var proxy = new TcpProxy(zk.Port);
        await using var service = GatehouseSdkTests.CreateService(proxy.ConnectString, group, o =>
        {
            o.Registry = "zookeeper";
            o.ZooKeeperSessionTimeout = TimeSpan.FromSeconds(4);
        });
        await service.App.StartAsync();
        await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "orders") == 1, "node mirrored");
        var registry = (ZooKeeperRegistryClient)service.App.Services.GetRequiredService<GatehouseLifecycle>().RegistryClient!;
        var session = registry.Client!.SessionId;

        proxy.Partition();
        var usurper = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = zk.ConnectString,
            SessionId = session,
            SessionPassword = registry.Client.SessionPassword,
        });
        await usurper.DisposeAsync();
        await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "orders") == 0, "node removed with the expired session");

        proxy.Heal();
        await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "orders") == 1, "node back once the SDK's new session re-created the znode", 60);
        await using var observer = await ConnectAsync();
        var owner = (await observer.ExistsAsync(RegistryLayout.Node(group, "orders", $"127.0.0.1:{new Uri(service.Url).Port}")))!.EphemeralOwner;
        Assert.NotEqual(session, owner);
        Assert.Equal(registry.Client.SessionId, owner);
        await service.App.StopAsync();
    }

    [Fact]
    public async Task AdminRestarted_ReconcilesNodesThatLeftMeanwhile()
    {
        var dir = Directory.CreateTempSubdirectory("gatehouse-zk-admin-").FullName;
        var group = NewGroup();
        await using var client = await ConnectAsync();
        try
        {
            await using (var admin = await TestAdmin.StartAsync(zooKeeper: zk.ConnectString, dir: dir))
            {
                await admin.CreateGroupAsync(group);
                await CreateNodeAsync(client, group, "orders", 7101);
                await CreateNodeAsync(client, group, "orders", 7102);
                await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "orders") == 2, "two nodes mirrored");
            }

            // No admin runs while one node leaves.
            await client.DeleteAsync(RegistryLayout.Node(group, "orders", "127.0.0.1:7101"));

            await using var restarted = await TestAdmin.StartAsync(zooKeeper: zk.ConnectString, dir: dir);
            await Wait.UntilAsync(async () => (await AddressesAsync(restarted, group, "orders")).SequenceEqual(["http://127.0.0.1:7102"]),
                "the restarted admin removed the node that left");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task BadInput_UnknownGroupAndInvalidZnodes_LoggedOnceAndSkipped_GroupPickedUpWhenCreated()
    {
        await using var admin = await TestAdmin.StartAsync(zooKeeper: zk.ConnectString);
        var group = NewGroup();
        var unknown = NewGroup();
        await admin.CreateGroupAsync(group);
        await using var client = await ConnectAsync();

        await CreateNodeAsync(client, unknown, "orders", 7201);
        await CreateNodeAsync(client, group, "orders", 7202);
        await CreateNodeAsync(client, group, "orders", 7203, Encoding.UTF8.GetBytes("not json"));
        await CreateNodeAsync(client, group, "orders", 7204, NodeJson(9999)); // named 7204, describes 9999
        await CreateNodeAsync(client, group, "orders", 7205, Encoding.UTF8.GetBytes("""{"host":"127.0.0.1","port":7205,"weight":-5}"""));

        await Wait.UntilAsync(async () => (await AddressesAsync(admin, group, "orders")).SequenceEqual(["http://127.0.0.1:7202"]), "the valid node mirrored");
        int Count(string text) => admin.Logs.Lines.Count(l => l.Level == LogLevel.Warning && l.Text.Contains(text, StringComparison.Ordinal));
        await Wait.UntilAsync(() => Task.FromResult(Count("127.0.0.1:7205 is skipped") == 1 && Count($"group {unknown} has nodes") == 1), "problems logged");

        // Several resync passes (1 s each) later, each problem is still logged once.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Equal(1, Count($"group {unknown} has nodes"));
        Assert.Equal(1, Count("127.0.0.1:7203 is skipped"));
        Assert.Equal(1, Count("127.0.0.1:7204 is skipped"));
        Assert.Equal(1, Count("127.0.0.1:7205 is skipped"));
        Assert.Contains(admin.Logs.Lines, l => l.Text.Contains("7204", StringComparison.Ordinal) && l.Text.Contains("127.0.0.1:9999", StringComparison.Ordinal));
        Assert.Contains(admin.Logs.Lines, l => l.Text.Contains("7205", StringComparison.Ordinal) && l.Text.Contains("weight", StringComparison.Ordinal));

        // Fixing a bad znode applies it; creating the unknown group picks its nodes up at the next resync.
        await client.SetDataAsync(RegistryLayout.Node(group, "orders", "127.0.0.1:7203"), NodeJson(7203));
        await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "orders") == 2, "fixed znode mirrored");
        await admin.CreateGroupAsync(unknown);
        await Wait.UntilAsync(async () => await admin.NodeCountAsync(unknown, "orders") == 1, "nodes of the group created later mirrored");
    }

    [Fact]
    public async Task OperatorOffline_SurvivesTheZnodeLeavingAndComingBack()
    {
        await using var admin = await TestAdmin.StartAsync(zooKeeper: zk.ConnectString);
        var group = NewGroup();
        await admin.CreateGroupAsync(group);
        await using var client = await ConnectAsync();
        await CreateNodeAsync(client, group, "orders", 7301);
        await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "orders") == 1, "node mirrored");

        var resource = await admin.Client.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{group}/services/orders");
        using var offline = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/groups/{group}/services/orders/nodes/127.0.0.1:7301/offline");
        offline.Headers.TryAddWithoutValidation("If-Match", $"\"{resource.GetProperty("revision").GetInt64()}\"");
        using (var response = await admin.Client.SendAsync(offline))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        async Task<bool> OnlineAsync() => (await admin.ServiceAsync(group, "orders"))!.Value.GetProperty("nodes")[0].GetProperty("online").GetBoolean();
        Assert.False(await OnlineAsync());

        // A redeploy: the znode goes and comes back at the same host:port.
        await client.DeleteAsync(RegistryLayout.Node(group, "orders", "127.0.0.1:7301"));
        await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "orders") == 0, "node removed");
        await CreateNodeAsync(client, group, "orders", 7301);
        await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "orders") == 1, "node back");
        Assert.False(await OnlineAsync());
    }

    [Fact]
    public async Task ZooKeeperDown_ServiceRunsAndRetries_RegistersAndMirrorResumesWhenItIsBack()
    {
        await using var admin = await TestAdmin.StartAsync(zooKeeper: zk.ConnectString);
        var group = NewGroup();
        await admin.CreateGroupAsync(group);
        await using var client = await ConnectAsync(sessionTimeout: TimeSpan.FromSeconds(40));
        await CreateNodeAsync(client, group, "stock", 7401);
        await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "stock") == 1, "node mirrored");

        await using var service = GatehouseSdkTests.CreateService(zk.ConnectString, group, o => o.Registry = "zookeeper");
        await zk.KillAsync();
        try
        {
            await service.App.StartAsync();

            // The service runs (and serves) while ZooKeeper is down, and says so once a registration attempt timed out
            // (each waits up to 5 s for a session); the store keeps what it had.
            await Wait.UntilAsync(() => Task.FromResult(service.Logs.Lines.Any(l => l.Text.Contains("unreachable", StringComparison.Ordinal))),
                "the SDK logs that ZooKeeper is unreachable");
            using var http = new HttpClient();
            Assert.Equal("ok", await http.GetStringAsync($"{service.Url}/healthz"));
            Assert.False(service.App.Services.GetRequiredService<GatehouseLifecycle>().Registered);
            Assert.Equal(1, await admin.NodeCountAsync(group, "stock"));
        }
        finally
        {
            await zk.StartAsync();
        }

        await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "orders") == 1, "the SDK registered and the mirror followed", 90);

        // The mirror follows changes again.
        await CreateNodeAsync(client, group, "stock", 7402);
        await Wait.UntilAsync(async () => await admin.NodeCountAsync(group, "stock") == 2, "a new znode mirrored after the restart", 60);
        await Wait.UntilAsync(() => Task.FromResult(service.Logs.Lines.Any(l => l.Text.Contains("reachable again", StringComparison.Ordinal))),
            "the SDK logs that the registry is reachable again");
        Assert.Single(service.Logs.Lines, l => l.Level == LogLevel.Warning && l.Text.Contains("unreachable", StringComparison.Ordinal));
        await service.App.StopAsync();
    }
}
