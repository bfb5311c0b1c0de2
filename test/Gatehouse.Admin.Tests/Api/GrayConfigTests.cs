using System.Net;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Core.Config;

namespace Gatehouse.Admin.Tests.Api;

/// <summary>Gray configs: served only to the listed gateway nodes, then promoted or dropped through versioned writes.</summary>
public abstract class GrayConfigTests(AdminFixture fixture)
{
    private AdminHost Host => fixture.Host;

    [Fact]
    public Task CreateServeNormalWriteAndPromote() => Gray.CreateServeAndPromoteAsync(Host);

    [Fact]
    public async Task Drop_MovesGrayNodesToANewNormalVersionEqualToTheNormalConfig()
    {
        var group = await Gray.GroupWithOrdersAsync(Host);
        var normal = await Gray.PullAsync(Host, group, "gw-1", null, HttpStatusCode.OK);
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/gray", Gray.Body("gw-2", weight: 5))).ReadJsonAsync(HttpStatusCode.Created);

        var dropped = await (await Host.Client.DeleteAsync($"/api/v1/groups/{group}/gray")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(4, dropped.GetProperty("version").GetInt64());

        // The gray node runs 3, above the last normal version (2); the drop's version 4 is what moves it back.
        var back = await Gray.PullAsync(Host, group, "gw-2", 3, HttpStatusCode.OK);
        Assert.Equal(4, back.GetProperty("version").GetInt64());
        var expected = Gray.Config(normal) with { Version = 4 };
        Assert.Equal(ConfigChecksum.Compute(expected), back.GetProperty("checksum").GetString());
        Assert.Equal(100, Gray.Config(back).Services[0].Nodes[0].Weight);
        Assert.Equal(4, (await Gray.PullAsync(Host, group, "gw-1", 2, HttpStatusCode.OK)).GetProperty("version").GetInt64());

        await (await Host.Client.GetAsync($"/api/v1/groups/{group}/gray")).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await Host.Client.DeleteAsync($"/api/v1/groups/{group}/gray")).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/gray/promote", null)).ReadProblemAsync(HttpStatusCode.NotFound);

        var audit = await (await Host.Client.GetAsync($"/api/v1/audit?group={group}")).ReadJsonAsync(HttpStatusCode.OK);
        var rows = audit.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["gray.drop", "gray.create", "service.create", "group.create"], rows.Select(r => r.GetProperty("action").GetString()));
        Assert.Equal(4, rows[0].GetProperty("version").GetInt64());
        Assert.Equal(3, rows[1].GetProperty("version").GetInt64());
        Assert.Equal(5, rows[1].GetProperty("after").GetProperty("services")[0].GetProperty("nodes")[0].GetProperty("weight").GetInt32());
    }

    [Fact]
    public async Task SecondCreate_Is409AndStoresNothing()
    {
        var group = await Gray.GroupWithOrdersAsync(Host);
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/gray", Gray.Body("gw-2", weight: 5))).ReadJsonAsync(HttpStatusCode.Created);

        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/gray", Gray.Body("gw-3", weight: 6))).ReadProblemAsync(HttpStatusCode.Conflict);

        Assert.Equal(3, await Host.VersionCountAsync(group));
        var gray = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/gray")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["gw-2"], gray.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal(3, gray.GetProperty("version").GetInt64());
        Assert.Equal(3, (await Gray.PullAsync(Host, group, "gw-2", null, HttpStatusCode.OK)).GetProperty("version").GetInt64());
        await Gray.PullAsync(Host, group, "gw-3", 2, HttpStatusCode.NotModified);
    }

    [Fact]
    public async Task InvalidGrayConfig_Is400NamingTheEntryAndStoresNothing()
    {
        var group = await Gray.GroupWithOrdersAsync(Host);

        var problem = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/gray", Gray.Body("gw-2", weight: 999999)))
            .ReadProblemAsync(HttpStatusCode.BadRequest);
        var keys = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("services[orders].nodes[orders-1].weight", keys);

        var noNodes = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/gray",
            AdminHost.Json($$$"""{"nodes":[],"config":{"services":[{{{Http.Service("orders")}}}]}}"""))).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(noNodes.GetProperty("errors").TryGetProperty("nodes", out _), noNodes.ToString());

        await (await Host.Client.GetAsync($"/api/v1/groups/{group}/gray")).ReadProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(2, await Host.VersionCountAsync(group));
        Assert.Equal(2, (await Gray.PullAsync(Host, group, "gw-2", null, HttpStatusCode.OK)).GetProperty("version").GetInt64());
        var audit = await (await Host.Client.GetAsync($"/api/v1/audit?group={group}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, audit.GetProperty("total").GetInt32());
        await (await Host.Client.PostAsync("/api/v1/groups/no-such-group/gray", Gray.Body("gw-2", weight: 5))).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Create_ConfigAsYamlText_IsServedToTheListedNode()
    {
        var group = await Gray.GroupWithOrdersAsync(Host);
        const string yaml = """
            services:
              - name: orders
                nodes:
                  - id: orders-1
                    address: http://127.0.0.1:5101
                    weight: 7
                apis:
                  - id: list
                    methods: [GET]
                    path: /orders
            """;
        var body = JsonSerializer.Serialize(new { nodes = new[] { "gw-2" }, config = yaml });
        var created = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/gray", AdminHost.Json(body))).ReadJsonAsync(HttpStatusCode.Created);
        Assert.Equal(3, created.GetProperty("version").GetInt64());
        Assert.Equal(7, Gray.Config(await Gray.PullAsync(Host, group, "gw-2", null, HttpStatusCode.OK)).Services[0].Nodes[0].Weight);
    }

    [Fact]
    public async Task Create_InvalidYamlText_Is400WithTheLineAndStoresNothing()
    {
        var group = await Gray.GroupWithOrdersAsync(Host);
        const string yaml = "services:\n  - name: orders\n    nodes:\n      - id: orders-1\n        address: http://127.0.0.1:5101\n        weight: 999999\n";
        var body = JsonSerializer.Serialize(new { nodes = new[] { "gw-2" }, config = yaml });

        var problem = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/gray", AdminHost.Json(body))).ReadProblemAsync(HttpStatusCode.BadRequest);
        var weight = problem.GetProperty("errors").GetProperty("services[orders].nodes[orders-1].weight")[0].GetString();
        Assert.Contains("line 6", weight);
        Assert.Equal(2, await Host.VersionCountAsync(group));
    }

    [Fact]
    public async Task Create_NodeIdsNoGatewayReported_Is400NamingThem_UnlessForced()
    {
        var group = await Gray.GroupWithOrdersAsync(Host);
        var config = Http.Service("orders", weight: 5);
        var typo = AdminHost.Json($$$"""{"nodes":["GW-1 ","gw-9","gw-2"],"config":{"services":[{{{config}}}]}}""");

        var problem = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/gray", typo)).ReadProblemAsync(HttpStatusCode.BadRequest);
        var message = problem.GetProperty("errors").GetProperty("nodes")[0].GetString()!;
        Assert.Contains("'GW-1 ' (did you mean 'gw-1'?)", message, StringComparison.Ordinal);
        Assert.Contains("'gw-9'", message, StringComparison.Ordinal);
        Assert.DoesNotContain("'gw-2'", message, StringComparison.Ordinal);
        Assert.Contains("known: gw-1, gw-2, gw-3", message, StringComparison.Ordinal);
        Assert.Contains("\"force\": true", message, StringComparison.Ordinal);
        await (await Host.Client.GetAsync($"/api/v1/groups/{group}/gray")).ReadProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(2, await Host.VersionCountAsync(group));

        // The review step refuses the same ids, and takes force the same way.
        var preview = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/gray/preview",
            AdminHost.Json($$$"""{"nodes":["gw-9"],"config":{"services":[{{{config}}}]}}"""))).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("'gw-9'", preview.GetProperty("errors").GetProperty("nodes")[0].GetString(), StringComparison.Ordinal);
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/gray/preview",
            AdminHost.Json($$$"""{"nodes":["gw-9"],"force":true,"config":{"services":[{{{config}}}]}}"""))).ReadJsonAsync(HttpStatusCode.OK);

        var badForce = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/gray",
            AdminHost.Json($$$"""{"nodes":["gw-9"],"force":"yes","config":{"services":[{{{config}}}]}}"""))).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(badForce.GetProperty("errors").TryGetProperty("force", out _), badForce.ToString());

        // Forced: a gateway that has not started yet gets the gray config once it asks.
        var created = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/gray",
            AdminHost.Json($$$"""{"nodes":["gw-9"],"force":true,"config":{"services":[{{{config}}}]}}"""))).ReadJsonAsync(HttpStatusCode.Created);
        Assert.Equal(3, created.GetProperty("version").GetInt64());
        Assert.Equal(5, Gray.Config(await Gray.PullAsync(Host, group, "gw-9", null, HttpStatusCode.OK)).Services[0].Nodes[0].Weight);
    }

    [Fact]
    public async Task Preview_ListsChangesAgainstTheCurrentVersion_AndStoresNothing()
    {
        var group = await Gray.GroupWithOrdersAsync(Host);
        var body = $$$"""{"nodes":["gw-2"],"config":{"services":[{{{Http.Service("orders", weight: 5)}}},{{{Http.Service("billing", path: "/billing")}}}]}}""";

        var preview = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/gray/preview", AdminHost.Json(body))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, preview.GetProperty("from").GetInt64());
        Assert.Equal(["gw-2"], preview.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()));
        var changes = preview.GetProperty("changes").EnumerateArray()
            .Select(c => (c.GetProperty("entry").GetString(), c.GetProperty("change").GetString())).ToList();
        Assert.Equal([("services[orders].nodes[orders-1]", "changed"), ("services[billing]", "added")], changes);

        var invalid = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/gray/preview", Gray.Body("gw-2", weight: 999999)))
            .ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(invalid.GetProperty("errors").TryGetProperty("services[orders].nodes[orders-1].weight", out _), invalid.ToString());
        await (await Host.Client.PostAsync("/api/v1/groups/no-such-group/gray/preview", Gray.Body("gw-2", weight: 5)))
            .ReadProblemAsync(HttpStatusCode.NotFound);

        Assert.Equal(2, await Host.VersionCountAsync(group));
        await (await Host.Client.GetAsync($"/api/v1/groups/{group}/gray")).ReadProblemAsync(HttpStatusCode.NotFound);
    }
}

/// <summary>The gray scenario and helpers, shared with the PostgreSQL run.</summary>
internal static class Gray
{
    /// <summary>Create → serve to listed/unlisted nodes (incl. 304) → normal write during gray → gateways list → promote → audit.</summary>
    public static async Task CreateServeAndPromoteAsync(AdminHost host)
    {
        var group = await GroupWithOrdersAsync(host);
        var created = await (await host.Client.PostAsync($"/api/v1/groups/{group}/gray", Body("gw-2", weight: 5)))
            .ReadJsonAsync(HttpStatusCode.Created);
        Assert.Equal(3, created.GetProperty("version").GetInt64());

        var gray = await PullAsync(host, group, "gw-2", null, HttpStatusCode.OK);
        Assert.Equal(3, gray.GetProperty("version").GetInt64());
        Assert.Equal(5, Config(gray).Services[0].Nodes[0].Weight);
        Assert.Equal(ConfigChecksum.Compute(Config(gray)), gray.GetProperty("checksum").GetString());
        Assert.Equal(created.GetProperty("checksum").GetString(), gray.GetProperty("checksum").GetString());
        var normal = await PullAsync(host, group, "gw-1", null, HttpStatusCode.OK);
        Assert.Equal(2, normal.GetProperty("version").GetInt64());
        Assert.Equal(100, Config(normal).Services[0].Nodes[0].Weight);

        await PullAsync(host, group, "gw-2", 3, HttpStatusCode.NotModified);
        Assert.Equal(3, (await PullAsync(host, group, "gw-2", 2, HttpStatusCode.OK)).GetProperty("version").GetInt64());
        await PullAsync(host, group, "gw-1", 2, HttpStatusCode.NotModified);

        // A normal write during gray: the others move on, the gray node stays on its snapshot.
        await (await host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("billing", path: "/billing"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        var moved = await PullAsync(host, group, "gw-1", 2, HttpStatusCode.OK);
        Assert.Equal(4, moved.GetProperty("version").GetInt64());
        Assert.Equal(["orders", "billing"], Config(moved).Services.Select(s => s.Name));
        await PullAsync(host, group, "gw-2", 3, HttpStatusCode.NotModified);
        Assert.Equal(3, (await PullAsync(host, group, "gw-2", null, HttpStatusCode.OK)).GetProperty("version").GetInt64());

        // The gray node is current on the gray version; a normal node only on the latest normal one.
        await HeartbeatAsync(host, group, "gw-1", 2);
        await HeartbeatAsync(host, group, "gw-2", 3);
        await HeartbeatAsync(host, group, "gw-3", 4);
        var nodes = (await (await host.Client.GetAsync($"/api/v1/groups/{group}/gateways")).ReadJsonAsync(HttpStatusCode.OK))
            .EnumerateArray().ToDictionary(n => n.GetProperty("nodeId").GetString()!, n => n.GetProperty("current").GetBoolean());
        Assert.Equal(new Dictionary<string, bool> { ["gw-1"] = false, ["gw-2"] = true, ["gw-3"] = true }, nodes);

        var promoted = await (await host.Client.PostAsync($"/api/v1/groups/{group}/gray/promote", null)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(5, promoted.GetProperty("version").GetInt64());
        var expected = Config(gray) with { Version = 5 };
        foreach (var (node, since) in new[] { ("gw-1", 4L), ("gw-2", 3L) })
        {
            var pulled = await PullAsync(host, group, node, since, HttpStatusCode.OK);
            Assert.Equal(5, pulled.GetProperty("version").GetInt64());
            Assert.Equal(ConfigChecksum.Compute(expected), pulled.GetProperty("checksum").GetString());
        }

        await (await host.Client.GetAsync($"/api/v1/groups/{group}/gray")).ReadProblemAsync(HttpStatusCode.NotFound);

        // Revisions moved forward: an editor holding revision 1 of orders is stale now.
        await (await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/services/orders")
        {
            Content = AdminHost.Json(Http.Service("orders", weight: 9)),
        }.WithRevision(1))).ReadProblemAsync(HttpStatusCode.Conflict);

        var audit = await (await host.Client.GetAsync($"/api/v1/audit?group={group}")).ReadJsonAsync(HttpStatusCode.OK);
        var rows = audit.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["gray.promote", "service.create", "gray.create", "service.create", "group.create"],
            rows.Select(r => r.GetProperty("action").GetString()));
        Assert.Equal(3, rows[0].GetProperty("sourceVersion").GetInt64());
        Assert.Equal(5, rows[0].GetProperty("version").GetInt64());
    }

    /// <summary>A group with the service orders, whose gateways gw-1, gw-2 and gw-3 have reported (a gray config may name them).</summary>
    public static async Task<string> GroupWithOrdersAsync(AdminHost host)
    {
        var group = await host.CreateGroupAsync();
        await (await host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        foreach (var node in new[] { "gw-1", "gw-2", "gw-3" })
        {
            await HeartbeatAsync(host, group, node, 2);
        }

        return group;
    }

    public static StringContent Body(string node, int weight) =>
        AdminHost.Json($$$"""{"nodes":["{{{node}}}"],"config":{"services":[{{{Http.Service("orders", weight)}}}]}}""");

    public static GatewayConfig Config(JsonElement document) => ConfigSerializer.Deserialize(document.GetProperty("config").GetRawText(), "test");

    public static async Task<JsonElement> PullAsync(AdminHost host, string group, string node, long? since, HttpStatusCode expected)
    {
        var query = $"/api/v1/gateway/config?group={group}&node={node}" + (since is null ? "" : $"&since={since}");
        var response = await host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Get, query));
        return await response.ReadJsonAsync(expected);
    }

    public static async Task HeartbeatAsync(AdminHost host, string group, string node, long version)
    {
        var body = $$"""{"nodeId":"{{node}}","group":"{{group}}","version":{{version}}}""";
        var response = await host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Post, "/api/v1/gateway/heartbeat", body));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }
}

public sealed class GrayConfigTestsSqlite(SqliteAdmin fixture) : GrayConfigTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class GrayConfigTestsPostgres(PostgresAdmin fixture) : GrayConfigTests(fixture), IClassFixture<PostgresAdmin>;
