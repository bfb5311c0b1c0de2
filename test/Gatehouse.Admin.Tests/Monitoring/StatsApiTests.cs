using System.Net;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;

namespace Gatehouse.Admin.Tests.Monitoring;

/// <summary>The statistics API fed by signed heartbeats that carry <c>stats</c>, as gateways send them.</summary>
public abstract class StatsApiTests(AdminFixture fixture)
{
    private AdminHost Host => fixture.Host;

    internal static string Heartbeat(string group, string node, string startId, params (string Service, string Api, long[] Requests, long[] Latency)[] apis)
    {
        var entries = string.Join(",", apis.Select(a =>
            $$"""{"service":"{{a.Service}}","api":"{{a.Api}}","requests":{{JsonSerializer.Serialize(a.Requests)}},"latency":{{JsonSerializer.Serialize(a.Latency)}}}"""));
        return $$$"""
            {"nodeId":"{{{node}}}","group":"{{{group}}}","controlAddress":"http://127.0.0.1:1","version":1,"checksum":"c",
             "stats":{"startId":"{{{startId}}}","boundsMs":[1,2,5,10],"apis":[{{{entries}}}]}}
            """;
    }

    internal static async Task SendAsync(AdminHost host, string body, DateTimeOffset? at = null)
    {
        var response = await host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Post, "/api/v1/gateway/heartbeat", body, at: at));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task Stats_TwoNodesHeartbeats_PerApiPerNodeAndTotals()
    {
        var group = await Host.CreateGroupAsync();

        // First report of each node is its baseline; the second one's increase is what the window shows.
        await SendAsync(Host, Heartbeat(group, "gw-1", "a", ("orders", "list", [0, 500, 0, 0, 0], [500, 0, 0, 0, 0])));
        await SendAsync(Host, Heartbeat(group, "gw-2", "b"));
        await SendAsync(Host, Heartbeat(group, "gw-1", "a",
            ("orders", "list", [0, 770, 0, 20, 10], [700, 0, 90, 10, 0]),
            ("orders", "get", [0, 30, 0, 0, 0], [30, 0, 0, 0, 0])));
        await SendAsync(Host, Heartbeat(group, "gw-2", "b", ("orders", "list", [0, 0, 0, 0, 100], [0, 0, 0, 0, 100])));

        var stats = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/stats?window=5m")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(300, stats.GetProperty("windowSeconds").GetDouble());
        var total = stats.GetProperty("total");
        Assert.Equal(430, total.GetProperty("requests").GetInt64());
        Assert.Equal(Math.Round(430 / 300.0, 3), total.GetProperty("qps").GetDouble());
        Assert.Equal(Math.Round(110 * 100.0 / 430, 3), total.GetProperty("errorRate5xx").GetDouble());
        Assert.Equal(Math.Round(20 * 100.0 / 430, 3), total.GetProperty("errorRate4xx").GetDouble());

        var nodes = stats.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(["gw-1", "gw-2"], nodes.Select(n => n.GetProperty("node").GetString()));
        Assert.Equal(330, nodes[0].GetProperty("stats").GetProperty("requests").GetInt64());
        Assert.Equal(100, nodes[1].GetProperty("stats").GetProperty("errorRate5xx").GetDouble());

        var apis = stats.GetProperty("apis").EnumerateArray().ToList();
        Assert.Equal(["get", "list"], apis.Select(a => a.GetProperty("api").GetString()));
        var list = apis[1];
        Assert.Equal(400, list.GetProperty("stats").GetProperty("requests").GetInt64());
        // Merged buckets of "list": [200, 0, 90, 10, 100]; p50 (rank 200) is the top of the first, p99 in +Inf.
        Assert.Equal(1, list.GetProperty("stats").GetProperty("p50Ms").GetDouble());
        Assert.Equal(10, list.GetProperty("stats").GetProperty("p99Ms").GetDouble());
        Assert.Equal(2, list.GetProperty("nodes").GetArrayLength());

        var filtered = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/stats?window=1m&node=gw-2&service=ORDERS")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(100, filtered.GetProperty("total").GetProperty("requests").GetInt64());
        Assert.Equal("60s", filtered.GetProperty("window").GetString());
    }

    [Theory]
    [InlineData("5x")]
    [InlineData("1s")]
    [InlineData("16m")]
    [InlineData("m")]
    public async Task Stats_BadWindow_Is400NamingIt(string window)
    {
        var group = await Host.CreateGroupAsync();
        var problem = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/stats?window={window}")).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("window", out _));
    }

    [Fact]
    public async Task Stats_UnknownGroupOrNoToken_404And401()
    {
        await (await Host.Client.GetAsync("/api/v1/groups/no-such-group/stats")).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await Host.Anonymous.GetAsync("/api/v1/groups/no-such-group/stats")).ReadProblemAsync(HttpStatusCode.Unauthorized);
    }
}

public sealed class StatsApiTestsSqlite(SqliteAdmin fixture) : StatsApiTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class StatsApiTestsPostgres(PostgresAdmin fixture) : StatsApiTests(fixture), IClassFixture<PostgresAdmin>;
