using System.Net;
using System.Net.Http.Headers;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Admin.Tests.Security;

namespace Gatehouse.Admin.Tests.Console;

/// <summary>
/// API answers the console relies on, so its messages come from the API and nowhere else: a lock that says so, a stale
/// write that names who changed the entry meanwhile, the gateway sync status and the re-push, the services search.
/// </summary>
public abstract class ConsoleSupportApiTests(AdminFixture fixture)
{
    private AdminHost Host => fixture.Host;

    [Fact]
    public async Task Login_LockedUser_Is401WithCodeLockedAndUntilWhen_OtherFailuresStayGeneric()
    {
        var (name, password) = await Host.CreateUserAsync("viewer");
        for (var i = 0; i < 4; i++)
        {
            var (wrong, _, body) = await Host.LoginAsync(name, "wrong-password");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.False(body.TryGetProperty("code", out _));
            Assert.DoesNotContain("locked", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        // The fifth failure locks (default threshold 5): that answer already says so, and so does the right password after it.
        var (fifth, _, fifthBody) = await Host.LoginAsync(name, "wrong-password");
        Assert.Equal(HttpStatusCode.Unauthorized, fifth.StatusCode);
        Assert.Equal("locked", fifthBody.GetProperty("code").GetString());
        var (right, cookie, rightBody) = await Host.LoginAsync(name, password);
        Assert.Equal(HttpStatusCode.Unauthorized, right.StatusCode);
        Assert.Null(cookie);
        Assert.Equal("locked", rightBody.GetProperty("code").GetString());
        Assert.True(rightBody.GetProperty("lockedUntil").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        Assert.Contains("ask an admin to unlock", rightBody.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StaleWrite_Is409NamingWhoChangedTheServiceMeanwhile()
    {
        var group = await Host.CreateGroupAsync();
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        var (operatorClient, operatorName) = await Host.ClientForRoleAsync("operator");

        // The operator moves the service from revision 1 to 2; a write still based on 1 is told who did that.
        await (await operatorClient.SendAsync(WithRevision(HttpMethod.Post, $"/api/v1/groups/{group}/services/orders/nodes/orders-1/offline", 1)))
            .ReadJsonAsync(HttpStatusCode.OK);
        var stale = await (await Host.Client.SendAsync(WithRevision(HttpMethod.Post, $"/api/v1/groups/{group}/services/orders/nodes/orders-1/online", 1)))
            .ReadProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("stale_revision", stale.GetProperty("code").GetString());
        Assert.Equal(operatorName, stale.GetProperty("changedBy").GetString());
        Assert.Equal(2, stale.GetProperty("currentRevision").GetInt64());
        Assert.Equal(1, stale.GetProperty("givenRevision").GetInt64());
        Assert.Contains($"changed meanwhile by {operatorName}", stale.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateways_ListLiveAndExpected_RePushToAnUnreachableNodeIs502NamingWhy_UnknownNodeIs404()
    {
        var group = await Host.CreateGroupAsync();
        var port = Gatehouse.Testing.LoopbackPorts.Next();
        var body = $$"""{"nodeId":"gw-1","group":"{{group}}","loc":"dc1","controlAddress":"http://127.0.0.1:{{port}}","version":1,"checksum":"abc"}""";
        Assert.Equal(HttpStatusCode.NoContent,
            (await Host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Post, "/api/v1/gateway/heartbeat", body))).StatusCode);

        var node = (await (await Host.Client.GetAsync($"/api/v1/groups/{group}/gateways")).ReadJsonAsync(HttpStatusCode.OK))[0];
        Assert.True(node.GetProperty("live").GetBoolean());
        Assert.Equal(1, node.GetProperty("expected").GetInt64());

        // Nothing listens on that control port: the push fails and says why, and the list then shows that last push.
        var failed = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/gateways/gw-1/push", null))
            .ReadProblemAsync(HttpStatusCode.BadGateway);
        Assert.Contains("gw-1", failed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        node = (await (await Host.Client.GetAsync($"/api/v1/groups/{group}/gateways")).ReadJsonAsync(HttpStatusCode.OK))[0];
        Assert.Equal(1, node.GetProperty("lastPush").GetProperty("version").GetInt64());
        Assert.False(string.IsNullOrEmpty(node.GetProperty("lastPush").GetProperty("error").GetString()));

        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/gateways/gw-9/push", null)).ReadProblemAsync(HttpStatusCode.NotFound);
        var (viewer, _) = await Host.ClientForRoleAsync("viewer");
        await (await viewer.PostAsync($"/api/v1/groups/{group}/gateways/gw-1/push", null)).ReadProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task ServiceHealth_IsEachLiveGatewaysWord_FromItsHeartbeat_NodesItDoesNotListAreHealthy()
    {
        var group = await Host.CreateGroupAsync();
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        foreach (var (gateway, unhealthy) in new[]
        {
            ("gw-1", """[{"service":"ORDERS","node":"orders-1","state":"ejected"}]"""),
            ("gw-2", "[]"),
        })
        {
            var body = $$"""{"nodeId":"{{gateway}}","group":"{{group}}","controlAddress":"http://127.0.0.1:1","version":2,"checksum":"c","unhealthy":{{unhealthy}}}""";
            Assert.Equal(HttpStatusCode.NoContent,
                (await Host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Post, "/api/v1/gateway/heartbeat", body))).StatusCode);
        }

        // A gateway whose heartbeat carries no health part says nothing about nodes, and is not counted.
        var silent = $$"""{"nodeId":"gw-3","group":"{{group}}","controlAddress":"http://127.0.0.1:1","version":2,"checksum":"c"}""";
        await Host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Post, "/api/v1/gateway/heartbeat", silent));

        var health = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services/orders/health")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["gw-1", "gw-2"], health.GetProperty("gateways").EnumerateArray().Select(g => g.GetString()));
        var node = Assert.Single(health.GetProperty("nodes").EnumerateArray());
        Assert.Equal("orders-1", node.GetProperty("nodeId").GetString());
        Assert.Equal(1, node.GetProperty("healthyOn").GetInt32());
        Assert.Equal(["gw-1:ejected", "gw-2:healthy"], node.GetProperty("reports").EnumerateArray()
            .Select(r => $"{r.GetProperty("gateway").GetString()}:{r.GetProperty("state").GetString()}"));
        await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services/nope/health")).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Services_QueryKeepsNamesContainingItIgnoringCase_AndCountsThem()
    {
        var group = await Host.CreateGroupAsync();
        foreach (var name in new[] { "orders", "Order-history", "users" })
        {
            await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service(name))))
                .ReadJsonAsync(HttpStatusCode.Created);
        }

        var page = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services?q=ORDER&limit=1")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, page.GetProperty("total").GetInt32());
        Assert.Equal("orders", Assert.Single(page.GetProperty("items").EnumerateArray()).GetProperty("name").GetString());

        // The summary view counts instead of listing; an unknown view names the parameter.
        var summary = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services?view=summary&q=users")).ReadJsonAsync(HttpStatusCode.OK);
        var users = Assert.Single(summary.GetProperty("items").EnumerateArray());
        Assert.Equal(1, users.GetProperty("nodes").GetInt32());
        Assert.Equal(1, users.GetProperty("nodesTakingTraffic").GetInt32());
        Assert.Equal(1, users.GetProperty("apis").GetInt32());
        Assert.False(users.TryGetProperty("service", out _));
        var offline = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/groups/{group}/services/users/nodes/users-1/offline");
        offline.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
        await (await Host.Client.SendAsync(offline)).ReadJsonAsync(HttpStatusCode.OK);
        summary = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services?view=summary&q=users")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, summary.GetProperty("items")[0].GetProperty("nodesTakingTraffic").GetInt32());
        var bad = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services?view=brief")).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(bad.GetProperty("errors").TryGetProperty("view", out _));
    }

    private static HttpRequestMessage WithRevision(HttpMethod method, string path, long revision)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{revision}\""));
        return request;
    }
}

public sealed class ConsoleSupportApiTestsSqlite(SqliteAdmin fixture) : ConsoleSupportApiTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class ConsoleSupportApiTestsPostgres(PostgresAdmin fixture) : ConsoleSupportApiTests(fixture), IClassFixture<PostgresAdmin>;
