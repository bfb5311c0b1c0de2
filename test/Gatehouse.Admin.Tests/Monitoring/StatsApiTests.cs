using System.Net;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

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

    [Fact]
    public async Task Stats_WithStep_SeriesOfCompleteSlotsAndPerServiceFigures()
    {
        var clock = new ManualClock();
        await using var host = await fixture.StartAdminAsync(builder => builder.Services.AddSingleton<TimeProvider>(clock));
        var group = await host.CreateGroupAsync();
        var t0 = clock.GetUtcNow();

        await SendAsync(host, Heartbeat(group, "gw-1", "a", ("orders", "list", [0, 0, 0, 0, 0], [0, 0, 0, 0, 0])), clock.GetUtcNow());
        clock.Advance(TimeSpan.FromSeconds(10));
        await SendAsync(host, Heartbeat(group, "gw-1", "a", ("orders", "list", [0, 30, 0, 0, 0], [30, 0, 0, 0, 0]),
            ("stock", "all", [0, 10, 0, 0, 0], [10, 0, 0, 0, 0])), clock.GetUtcNow());
        clock.Advance(TimeSpan.FromSeconds(20));
        await SendAsync(host, Heartbeat(group, "gw-1", "a", ("orders", "list", [0, 84, 0, 0, 6], [90, 0, 0, 0, 0]),
            ("stock", "all", [0, 10, 0, 0, 0], [10, 0, 0, 0, 0])), clock.GetUtcNow());

        // The slot being filled now is in the totals, never in the series.
        clock.Advance(TimeSpan.FromSeconds(10));
        await SendAsync(host, Heartbeat(group, "gw-1", "a", ("orders", "list", [0, 184, 0, 0, 6], [190, 0, 0, 0, 0]),
            ("stock", "all", [0, 10, 0, 0, 0], [10, 0, 0, 0, 0])), clock.GetUtcNow());

        var stats = await (await host.Client.GetAsync($"/api/v1/groups/{group}/stats?window=1m&step=20s&service=orders"))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(190, stats.GetProperty("total").GetProperty("requests").GetInt64());
        var series = stats.GetProperty("series").EnumerateArray().ToList();
        Assert.Equal(3, series.Count);
        Assert.Equal(t0 - TimeSpan.FromSeconds(20), series[0].GetProperty("from").GetDateTimeOffset());
        Assert.Equal(t0 + TimeSpan.FromSeconds(20), series[2].GetProperty("from").GetDateTimeOffset());
        Assert.Equal(t0 + TimeSpan.FromSeconds(40), series[2].GetProperty("to").GetDateTimeOffset());
        Assert.Equal([0L, 30L, 60L], series.Select(p => p.GetProperty("stats").GetProperty("requests").GetInt64()));
        Assert.Equal(1.5, series[1].GetProperty("stats").GetProperty("qps").GetDouble());
        Assert.Equal(10, series[2].GetProperty("stats").GetProperty("errorRate5xx").GetDouble());
        Assert.False(series[0].GetProperty("stats").TryGetProperty("p99Ms", out _));

        var all = await (await host.Client.GetAsync($"/api/v1/groups/{group}/stats?window=1m")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False(all.TryGetProperty("series", out _));
        var services = all.GetProperty("services").EnumerateArray().ToList();
        Assert.Equal(["orders", "stock"], services.Select(s => s.GetProperty("service").GetString()));
        Assert.Equal(10, services[1].GetProperty("stats").GetProperty("requests").GetInt64());
    }

    [Theory]
    [InlineData("5x")]
    [InlineData("2m")]
    public async Task Stats_BadStep_Is400NamingIt(string step)
    {
        var group = await Host.CreateGroupAsync();
        var problem = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/stats?window=1m&step={step}")).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("step", out _));
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
