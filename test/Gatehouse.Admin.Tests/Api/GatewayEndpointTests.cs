using System.Net;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Core.Config;

namespace Gatehouse.Admin.Tests.Api;

public abstract class GatewayEndpointTests(AdminFixture fixture)
{
    private AdminHost Host => fixture.Host;

    [Fact]
    public async Task Config_Signed_Is200ThenNotModifiedSinceCurrent()
    {
        var group = await Host.CreateGroupAsync();
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);

        var document = await (await Host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Get, $"/api/v1/gateway/config?group={group}&node=gw-1")))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(group, document.GetProperty("group").GetString());
        Assert.Equal(2, document.GetProperty("version").GetInt64());
        var config = ConfigSerializer.Deserialize(document.GetProperty("config").GetRawText(), "test");
        Assert.Equal(2, config.Version);
        Assert.Equal(ConfigChecksum.Compute(config), document.GetProperty("checksum").GetString());

        var current = await Host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Get, $"/api/v1/gateway/config?group={group}&node=gw-1&since=2"));
        Assert.Equal(HttpStatusCode.NotModified, current.StatusCode);
        var older = await Host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Get, $"/api/v1/gateway/config?group={group}&node=gw-1&since=1"));
        Assert.Equal(2, (await older.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Config_UnsignedBadOrStale_Is401Problem()
    {
        var group = await Host.CreateGroupAsync();
        var path = $"/api/v1/gateway/config?group={group}&node=gw-1";

        await (await Host.Anonymous.GetAsync(path)).ReadProblemAsync(HttpStatusCode.Unauthorized);
        await (await Host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Get, path, secret: "wrong-secret")))
            .ReadProblemAsync(HttpStatusCode.Unauthorized);
        await (await Host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Get, path, at: DateTimeOffset.UtcNow.AddMinutes(-10))))
            .ReadProblemAsync(HttpStatusCode.Unauthorized);

        // Signed for another group: the query is part of what is signed.
        var other = AdminHost.Signed(HttpMethod.Get, path);
        other.RequestUri = new Uri($"/api/v1/gateway/config?group={group}x&node=gw-1", UriKind.Relative);
        await (await Host.Anonymous.SendAsync(other)).ReadProblemAsync(HttpStatusCode.Unauthorized);

        // A malformed query is not looked at before the signature.
        await (await Host.Anonymous.GetAsync(path + "&since=abc")).ReadProblemAsync(HttpStatusCode.Unauthorized);
        var badSince = await Host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Get, path + "&since=abc"));
        Assert.True((await badSince.ReadProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("since", out _));

        // An admin token is no substitute for the signature.
        await (await Host.Client.GetAsync(path)).ReadProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Heartbeat_IsRecordedAndListed()
    {
        var group = await Host.CreateGroupAsync();
        var body = $$"""{"nodeId":"gw-1","group":"{{group}}","loc":"dc1","controlAddress":"http://127.0.0.1:8081","version":1,"checksum":"abc"}""";

        var response = await Host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Post, "/api/v1/gateway/heartbeat", body));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        var nodes = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/gateways")).ReadJsonAsync(HttpStatusCode.OK);
        var node = Assert.Single(nodes.EnumerateArray());
        Assert.Equal("gw-1", node.GetProperty("nodeId").GetString());
        Assert.Equal("dc1", node.GetProperty("loc").GetString());
        Assert.Equal("http://127.0.0.1:8081", node.GetProperty("controlAddress").GetString());
        Assert.Equal(1, node.GetProperty("version").GetInt64());
        Assert.True(node.GetProperty("current").GetBoolean());

        // A newer version published makes the node lag behind until it reports again.
        await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders")));
        nodes = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/gateways")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False(nodes[0].GetProperty("current").GetBoolean());
    }

    [Fact]
    public async Task Heartbeat_Unsigned_Is401AndNotRecorded()
    {
        var group = await Host.CreateGroupAsync();
        var body = $$"""{"nodeId":"gw-1","group":"{{group}}","version":1}""";
        var signed = AdminHost.Signed(HttpMethod.Post, "/api/v1/gateway/heartbeat", body);

        // The body is signed too: the same headers over a different body must fail.
        signed.Content = AdminHost.Json(body.Replace("gw-1", "gw-2", StringComparison.Ordinal));
        await (await Host.Anonymous.SendAsync(signed)).ReadProblemAsync(HttpStatusCode.Unauthorized);
        await (await Host.Anonymous.PostAsync("/api/v1/gateway/heartbeat", AdminHost.Json(body))).ReadProblemAsync(HttpStatusCode.Unauthorized);

        var nodes = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/gateways")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Empty(nodes.EnumerateArray());
    }

    [Fact]
    public async Task Heartbeat_WithoutNodeIdOrGroup_Is400NamingThem()
    {
        var response = await Host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Post, "/api/v1/gateway/heartbeat", """{"version":1}"""));

        var errors = (await response.ReadProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("nodeId", out _), errors.ToString());
        Assert.True(errors.TryGetProperty("group", out _), errors.ToString());
    }
}

public sealed class GatewayEndpointTestsSqlite(SqliteAdmin fixture) : GatewayEndpointTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class GatewayEndpointTestsPostgres(PostgresAdmin fixture) : GatewayEndpointTests(fixture), IClassFixture<PostgresAdmin>;
