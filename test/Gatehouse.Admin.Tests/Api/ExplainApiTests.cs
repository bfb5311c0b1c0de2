using System.Net;
using System.Net.Sockets;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Admin.Tests.Security;
using Gatehouse.Core.Security;

namespace Gatehouse.Admin.Tests.Api;

/// <summary>
/// <c>POST /groups/{group}/explain</c> without a gateway able to answer (the answer through a real gateway is in the
/// gateway's functional tests), and <c>POST /groups/{group}/debug-tokens</c>.
/// </summary>
public sealed class ExplainApiTests(SqliteAdmin fixture) : IClassFixture<SqliteAdmin>
{
    private const string Body = """{"method":"GET","path":"/x","headers":{"serviceName":"orders"}}""";

    private AdminHost Host => fixture.Host;

    [Fact]
    public async Task Viewer_MayExplain_NoLiveGateway_503WithCode()
    {
        var group = await Host.CreateGroupAsync();
        var (viewer, _) = await Host.ClientForRoleAsync("viewer");
        using var _client = viewer;

        var problem = await (await viewer.PostAsync($"/api/v1/groups/{group}/explain", AdminHost.Json(Body)))
            .ReadProblemAsync(HttpStatusCode.ServiceUnavailable);

        Assert.Equal("no_live_gateway", problem.GetProperty("code").GetString());
        Assert.Contains(group, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownGroupNodeOrBadBody_ProblemsNamingThem()
    {
        await (await Host.Client.PostAsync("/api/v1/groups/no-such-group/explain", AdminHost.Json(Body))).ReadProblemAsync(HttpStatusCode.NotFound);

        var group = await Host.CreateGroupAsync();
        var missing = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/explain", AdminHost.Json("""{"path":"/x"}""")))
            .ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(missing.GetProperty("errors").TryGetProperty("method", out _));
        var notJson = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/explain", AdminHost.Json("{nope")))
            .ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(notJson.GetProperty("errors").TryGetProperty("body", out _));

        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/explain?node=gw-never", AdminHost.Json(Body)))
            .ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task LiveGatewayThatDoesNotAnswer_502NamingIt()
    {
        var group = await Host.CreateGroupAsync();
        var closedPort = ClosedPort();
        var heartbeat = $$"""{"nodeId":"gw-1","group":"{{group}}","controlAddress":"http://127.0.0.1:{{closedPort}}","version":1,"checksum":"abc"}""";
        using (var response = await Host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Post, "/api/v1/gateway/heartbeat", heartbeat)))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        foreach (var query in new[] { "", "?node=gw-1" })
        {
            var problem = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/explain{query}", AdminHost.Json(Body)))
                .ReadProblemAsync(HttpStatusCode.BadGateway);
            Assert.Equal("gateway_failed", problem.GetProperty("code").GetString());
            Assert.Contains("gw-1", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task DebugToken_OperatorGetsOneTheGroupsGatewaysAccept_ViewerDoesNot()
    {
        var group = await Host.CreateGroupAsync();
        var (operatorClient, _) = await Host.ClientForRoleAsync("operator");
        using var _operator = operatorClient;

        var issued = await (await operatorClient.PostAsync($"/api/v1/groups/{group}/debug-tokens", AdminHost.Json("{}")))
            .ReadJsonAsync(HttpStatusCode.OK);
        var token = issued.GetProperty("token").GetString();
        Assert.Equal(DebugToken.Header, issued.GetProperty("header").GetString());
        var expires = issued.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(290), TimeSpan.FromSeconds(301));
        Assert.Null(DebugToken.Verify(AdminHost.Secret, [], group, token, DateTimeOffset.UtcNow, out _));
        Assert.NotNull(DebugToken.Verify(AdminHost.Secret, [], group + "x", token, DateTimeOffset.UtcNow, out _));

        var shortLived = await (await operatorClient.PostAsync($"/api/v1/groups/{group}/debug-tokens", AdminHost.Json("""{"ttlSeconds":60}""")))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.InRange(shortLived.GetProperty("expiresAt").GetDateTimeOffset() - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(61));

        var tooLong = await (await operatorClient.PostAsync($"/api/v1/groups/{group}/debug-tokens", AdminHost.Json("""{"ttlSeconds":7200}""")))
            .ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(tooLong.GetProperty("errors").TryGetProperty("ttlSeconds", out _));

        var (viewer, _) = await Host.ClientForRoleAsync("viewer");
        using var _viewer = viewer;
        await (await viewer.PostAsync($"/api/v1/groups/{group}/debug-tokens", AdminHost.Json("{}"))).ReadProblemAsync(HttpStatusCode.Forbidden);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
