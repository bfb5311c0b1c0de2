using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Core.Config;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Admin.Tests.Api;

/// <summary>
/// What the sync endpoints keep in memory and what they write: unchanged heartbeats are not written until the stored
/// time needs refreshing, and pulls served from memory never serve a version the store no longer has as its latest.
/// </summary>
public sealed class GatewaySyncStoreTests
{
    [Fact]
    public async Task Heartbeat_UnchangedWithinAQuarterOfTheLiveWindow_NotWritten_AChangeIsListedAtOnce()
    {
        var clock = new ManualClock();
        await using var host = await AdminHost.StartAsync(configure: builder => builder.Services.AddSingleton<TimeProvider>(clock));
        var group = await host.CreateGroupAsync();
        var t0 = clock.GetUtcNow();

        await HeartbeatAsync(host, group, version: 1, clock.GetUtcNow());
        Assert.Equal(t0, (await NodeAsync(host, group)).GetProperty("lastSeen").GetDateTimeOffset());

        // The live window is 30 s: heartbeats that repeat the facts are not written within 7.5 s of the stored time...
        clock.Advance(TimeSpan.FromSeconds(7));
        await HeartbeatAsync(host, group, version: 1, clock.GetUtcNow());
        var node = await NodeAsync(host, group);
        Assert.Equal(t0, node.GetProperty("lastSeen").GetDateTimeOffset());
        Assert.True(node.GetProperty("live").GetBoolean());

        // ...then the time is refreshed...
        clock.Advance(TimeSpan.FromSeconds(1));
        await HeartbeatAsync(host, group, version: 1, clock.GetUtcNow());
        Assert.Equal(t0.AddSeconds(8), (await NodeAsync(host, group)).GetProperty("lastSeen").GetDateTimeOffset());

        // ...and a new applied version is in the store by the time the heartbeat is answered.
        clock.Advance(TimeSpan.FromSeconds(1));
        await HeartbeatAsync(host, group, version: 2, clock.GetUtcNow());
        node = await NodeAsync(host, group);
        Assert.Equal(2, node.GetProperty("version").GetInt64());
        Assert.Equal(t0.AddSeconds(9), node.GetProperty("lastSeen").GetDateTimeOffset());
    }

    [Fact]
    public async Task Heartbeat_ManyNodesAtOnce_AllRecorded()
    {
        await using var host = await AdminHost.StartAsync();
        var group = await host.CreateGroupAsync();

        // Written together (one transaction for those that arrive while one is being written): none is dropped.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => HeartbeatAsync(host, group, version: 1, DateTimeOffset.UtcNow, $"gw-{i}")));

        var nodes = await (await host.Client.GetAsync($"/api/v1/groups/{group}/gateways")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(20, nodes.GetArrayLength());
    }

    [Fact]
    public async Task Config_VersionsWrittenThroughAnotherAdmin_AreServed_NotTheOneInMemory()
    {
        await using var first = await AdminHost.StartAsync();
        await using var second = await first.StartSiblingAsync();
        var group = await first.CreateGroupAsync();
        await (await first.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        var v2 = await PullAsync(second, group);
        Assert.Equal(2, v2.GetProperty("version").GetInt64());

        // A newer version committed by the other admin: served at once.
        await (await first.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("stock", path: "/stock"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        var v3 = await PullAsync(second, group);
        Assert.Equal(3, v3.GetProperty("version").GetInt64());
        Assert.Equal(2, Config(v3).Services.Count);

        // The group deleted and created again through the other admin reuses version numbers with other content.
        Assert.Equal(HttpStatusCode.NoContent, (await first.Client.DeleteAsync($"/api/v1/groups/{group}")).StatusCode);
        await (await first.Client.PostAsync("/api/v1/groups", AdminHost.Json($$"""{"name":"{{group}}"}"""))).ReadJsonAsync(HttpStatusCode.Created);
        await (await first.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("billing", path: "/billing"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        var again = await PullAsync(second, group);
        Assert.Equal(2, again.GetProperty("version").GetInt64());
        var config = Config(again);
        Assert.Equal("billing", Assert.Single(config.Services).Name);
        Assert.Equal(ConfigChecksum.Compute(config), again.GetProperty("checksum").GetString());
    }

    [Fact]
    public void Build_IsTheSnapshotDocumentAroundTheStoredText()
    {
        var snapshot = ConfigSerializer.Serialize(new GatewayConfig { Group = "g\"1", Version = 7 });
        var body = SnapshotDocumentCache.Build("g\"1", 7, "abc", snapshot);

        var parsed = JsonNode.Parse(body)!;
        Assert.Equal("g\"1", (string?)parsed["group"]);
        Assert.Equal(7, (long?)parsed["version"]);
        Assert.Equal("abc", (string?)parsed["checksum"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(snapshot), parsed["config"]));
    }

    private static GatewayConfig Config(JsonElement document) => ConfigSerializer.Deserialize(document.GetProperty("config").GetRawText(), "test");

    private static async Task<JsonElement> PullAsync(AdminHost host, string group) =>
        await (await host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Get, $"/api/v1/gateway/config?group={group}&node=gw-1")))
            .ReadJsonAsync(HttpStatusCode.OK);

    private static async Task HeartbeatAsync(AdminHost host, string group, long version, DateTimeOffset at, string node = "gw-1")
    {
        var body = $$"""{"nodeId":"{{node}}","group":"{{group}}","controlAddress":"http://127.0.0.1:8081","version":{{version}},"checksum":"c{{version}}"}""";
        using var response = await host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Post, "/api/v1/gateway/heartbeat", body, at: at));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private static async Task<JsonElement> NodeAsync(AdminHost host, string group)
    {
        var nodes = await (await host.Client.GetAsync($"/api/v1/groups/{group}/gateways")).ReadJsonAsync(HttpStatusCode.OK);
        return Assert.Single(nodes.EnumerateArray());
    }
}
