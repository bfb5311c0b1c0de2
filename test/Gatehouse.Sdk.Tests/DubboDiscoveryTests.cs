using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gatehouse.ZooKeeper;
using Gatehouse.ZooKeeper.Tests.Infrastructure;

namespace Gatehouse.Sdk.Tests;

/// <summary>
/// The admin's Dubbo provider mirror against a real ZooKeeper: provider znodes created here exactly as a Java Dubbo
/// provider creates them (<c>/dubbo/{interface}/providers/{URLEncoder.encode(url)}</c>, ephemeral, empty data) become
/// the <c>source: dubbo</c> nodes of the service declaring <c>discovery.dubbo</c>, by Dubbo's matching rules.
/// </summary>
[Collection(ZooKeeperCollection.Name)]
public sealed class DubboDiscoveryTests(ZooKeeperServer zk)
{
    private readonly string _interface = "com.example.order.OrderService" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _group = "dubbo" + Guid.NewGuid().ToString("N")[..8];

    private string ProvidersPath => $"/dubbo/{_interface}/providers";

    /// <summary>The znode name Java Dubbo 2.7 writes for a provider: URL.encode(url.toFullString()).</summary>
    private string ZNode(string address, string query, string protocol = "dubbo") => WebUtility.UrlEncode(
        $"{protocol}://{address}/{_interface}?anyhost=true&application=orders-app&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false"
        + $"&interface={_interface}&methods=get,search&pid=4242&release=2.7.8&side=provider&timestamp=1600000000000&{query}");

    private string Service(bool discovery)
    {
        var block = discovery ? "\"discovery\":{\"dubbo\":{\"interface\":\"" + _interface + "\",\"version\":\"1.0.0\",\"group\":\"east\"}}," : "";
        return $$$"""
            {"name":"orders", {{{block}}}
             "nodes":[{"id":"static","address":"dubbo://127.0.0.1:7001","weight":5}],
             "apis":[{"id":"get","path":"/orders/{id}","protocol":"dubbo",
                      "dubbo":{"interface":"{{{_interface}}}","method":"get","version":"1.0.0","group":"east","parameterTypes":["long"]}}]}
            """;
    }

    private async Task<ZooKeeperClient> ConnectAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = zk.ConnectString }, deadline.Token);
    }

    private async Task<Dictionary<string, JsonElement>> NodesAsync(TestAdmin admin) =>
        (await admin.ServiceAsync(_group, "orders"))!.Value.GetProperty("nodes").EnumerateArray().ToDictionary(
            n => n.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString()! : new Uri(n.GetProperty("address").GetString()!).Authority,
            n => n.Clone());

    [Fact]
    public async Task Mirror_JavaProviderZnodes_MatchingOnesBecomeNodes_LeaveWithTheirZnode_StaticNodeUntouched()
    {
        await using var admin = await TestAdmin.StartAsync(zooKeeper: zk.ConnectString);
        await admin.CreateGroupAsync(_group);
        using (var created = await admin.Client.PostAsync($"/api/v1/groups/{_group}/services",
            new StringContent(Service(discovery: true), Encoding.UTF8, "application/json")))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        }

        await using var zooKeeper = await ConnectAsync();
        await zooKeeper.EnsurePathAsync(ProvidersPath);
        async Task<string> RegisterAsync(string address, string query, string protocol = "dubbo")
        {
            var path = $"{ProvidersPath}/{ZNode(address, query, protocol)}";
            await zooKeeper.CreateAsync(path, ReadOnlyMemory<byte>.Empty, CreateMode.Ephemeral);
            return path;
        }

        var heavy = await RegisterAsync("127.0.0.1:7101", "group=east&version=1.0.0&weight=200");
        var plain = await RegisterAsync("127.0.0.1:7102", "default.group=east&version=1.0.0");         // Dubbo < 2.7 / dubbo.ts style
        await RegisterAsync("127.0.0.1:7103", "group=east&version=2.0.0");                             // other version
        await RegisterAsync("127.0.0.1:7104", "group=west&version=1.0.0");                             // other group
        await RegisterAsync("127.0.0.1:7105", "group=east&version=1.0.0&enabled=false");               // disabled
        await RegisterAsync("127.0.0.1:7106", "group=east&version=1.0.0", protocol: "tri");            // not Dubbo 2
        await RegisterAsync("127.0.0.1:7107", "group=east&version=1.0.0&weight=heavy");                // unreadable weight
        await RegisterAsync("127.0.0.1:7001", "group=east&version=1.0.0&weight=900");                  // the static node's address

        await Wait.UntilAsync(async () => (await NodesAsync(admin)).Count == 3, "the two matching providers mirrored");
        var nodes = await NodesAsync(admin);
        Assert.Equal(["127.0.0.1:7101", "127.0.0.1:7102", "static"], nodes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("dubbo://127.0.0.1:7101", nodes["127.0.0.1:7101"].GetProperty("address").GetString());
        Assert.Equal(200, nodes["127.0.0.1:7101"].GetProperty("weight").GetInt32());
        Assert.Equal(100, nodes["127.0.0.1:7102"].GetProperty("weight").GetInt32());
        Assert.Equal("1.0.0", nodes["127.0.0.1:7101"].GetProperty("version").GetString());
        Assert.Equal("east", nodes["127.0.0.1:7102"].GetProperty("metadata").GetProperty("dubbo.group").GetString());
        Assert.Equal("orders-app", nodes["127.0.0.1:7102"].GetProperty("metadata").GetProperty("dubbo.application").GetString());
        Assert.All(nodes.Where(n => n.Key != "static"), n => Assert.Equal("dubbo", n.Value.GetProperty("source").GetString()));
        Assert.Equal("manual", nodes["static"].GetProperty("source").GetString());
        Assert.Equal(5, nodes["static"].GetProperty("weight").GetInt32());

        // The mirror may have read the providers while the last registrations were still arriving: the two matching
        // nodes above can be there before the refusals of the later znodes are logged.
        await Wait.UntilAsync(() => Task.FromResult(admin.Logs.Lines.Any(l => l.Text.Contains("protocol 'tri' is not dubbo", StringComparison.Ordinal))),
            "the 'tri' provider refused in the log");
        await Wait.UntilAsync(() => Task.FromResult(admin.Logs.Lines.Any(l => l.Text.Contains("weight 'heavy' is not a whole number", StringComparison.Ordinal))),
            "the unreadable weight refused in the log");

        // An operator's offline switch survives the provider leaving and coming back (a redeploy).
        using (var offline = await admin.Client.PostAsync($"/api/v1/groups/{_group}/services/orders/nodes/127.0.0.1:7102/offline", null))
        {
            Assert.Equal(HttpStatusCode.OK, offline.StatusCode);
        }

        await zooKeeper.DeleteAsync(plain);
        await Wait.UntilAsync(async () => !(await NodesAsync(admin)).ContainsKey("127.0.0.1:7102"), "provider 7102 removed with its znode");
        await RegisterAsync("127.0.0.1:7102", "default.group=east&version=1.0.0");
        await Wait.UntilAsync(async () => (await NodesAsync(admin)).ContainsKey("127.0.0.1:7102"), "provider 7102 back");
        Assert.False((await NodesAsync(admin))["127.0.0.1:7102"].GetProperty("online").GetBoolean());

        // Switched on again, it stays on across the next redeploy.
        using (var online = await admin.Client.PostAsync($"/api/v1/groups/{_group}/services/orders/nodes/127.0.0.1:7102/online", null))
        {
            Assert.Equal(HttpStatusCode.OK, online.StatusCode);
        }

        await zooKeeper.DeleteAsync(plain);
        await Wait.UntilAsync(async () => !(await NodesAsync(admin)).ContainsKey("127.0.0.1:7102"), "provider 7102 removed again");
        await RegisterAsync("127.0.0.1:7102", "default.group=east&version=1.0.0");
        await Wait.UntilAsync(async () => (await NodesAsync(admin)).ContainsKey("127.0.0.1:7102"), "provider 7102 back again");
        Assert.True((await NodesAsync(admin))["127.0.0.1:7102"].GetProperty("online").GetBoolean());

        // A provider's znode goes (its session ended): its node leaves; nothing else changes.
        await zooKeeper.DeleteAsync(heavy);
        await Wait.UntilAsync(async () => !(await NodesAsync(admin)).ContainsKey("127.0.0.1:7101"), "provider 7101 removed with its znode");

        // Discovery switched off by the operator: the dubbo nodes go, the static one stays.
        using var current = await admin.Client.GetAsync($"/api/v1/groups/{_group}/services/orders");
        var revision = (await current.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("revision").GetInt64();
        using var replace = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{_group}/services/orders")
        {
            Content = new StringContent(Service(discovery: false), Encoding.UTF8, "application/json"),
        };
        replace.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{revision}\""));
        using (var replaced = await admin.Client.SendAsync(replace))
        {
            Assert.True(replaced.StatusCode == HttpStatusCode.OK, await replaced.Content.ReadAsStringAsync());
        }

        await Wait.UntilAsync(async () => (await NodesAsync(admin)).Keys.SequenceEqual(["static"]), "dubbo nodes removed with the discovery block");
    }
}
