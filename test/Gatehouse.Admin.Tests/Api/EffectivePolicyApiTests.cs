using System.Net;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;

namespace Gatehouse.Admin.Tests.Api;

public abstract class EffectivePolicyApiTests(AdminFixture fixture)
{
    private AdminHost Host => fixture.Host;

    private const string Orders = """
        {"name":"orders","activeVersion":"v1",
         "policy":{"canary":{"version":"v2","percent":5},"timeouts":{"idleMs":9000}},
         "nodes":[{"id":"orders-1","address":"http://127.0.0.1:5101","version":"v1"},
                  {"id":"orders-2","address":"http://127.0.0.1:5102","version":"v2"}],
         "apis":[{"id":"list","methods":["GET"],"path":"/orders"},
                 {"id":"create","methods":["POST"],"path":"/orders","policy":{"rateLimit":{"limit":5},"loadBalancer":{"kind":"leastInFlight"}}}]}
        """;

    private static JsonElement Member(JsonElement view, string name) =>
        view.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("member").GetString() == name);

    private async Task<string> GroupWithOrdersAsync()
    {
        var group = await Host.CreateGroupAsync();
        var global = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/global-policy")
        {
            Content = AdminHost.Json("""{"timeouts":{"connectMs":1500},"rateLimit":{"limit":1000}}"""),
        }.WithRevision(1);
        await (await Host.Client.SendAsync(global)).ReadJsonAsync(HttpStatusCode.OK);
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Orders))).ReadJsonAsync(HttpStatusCode.Created);
        return group;
    }

    [Fact]
    public async Task Get_PublishedApi_EveryMemberWithItsLevel()
    {
        var group = await GroupWithOrdersAsync();

        var view = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services/orders/apis/create/effective-policy"))
            .ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(group, view.GetProperty("group").GetString());
        Assert.Equal(3, view.GetProperty("version").GetInt64());
        Assert.Equal("v1", view.GetProperty("activeVersion").GetString());
        Assert.Equal("api", Member(view, "loadBalancer").GetProperty("source").GetString());
        Assert.Equal("service", Member(view, "canary").GetProperty("source").GetString());
        Assert.Equal("v2", Member(view, "canary").GetProperty("value").GetProperty("version").GetString());
        Assert.Equal("global", Member(view, "timeouts.connectMs").GetProperty("source").GetString());
        Assert.Equal("service", Member(view, "timeouts.idleMs").GetProperty("source").GetString());
        Assert.Equal("default", Member(view, "retry.onConnectFailure").GetProperty("source").GetString());
        Assert.Equal(["global", "api"], Member(view, "rateLimit").GetProperty("levels").EnumerateArray().Select(l => l.GetProperty("source").GetString()));

        var list = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services/orders/apis/list/effective-policy"))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("default", Member(list, "loadBalancer").GetProperty("source").GetString());
        Assert.Equal(["global"], Member(list, "rateLimit").GetProperty("levels").EnumerateArray().Select(l => l.GetProperty("source").GetString()));
    }

    [Fact]
    public async Task Get_FollowsTheLatestPublishedVersion()
    {
        var group = await GroupWithOrdersAsync();
        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/services/orders/apis/list")
        {
            Content = AdminHost.Json("""{"methods":["GET"],"path":"/orders","policy":{"canary":{"version":"v2","percent":50}}}"""),
        }.WithRevision(1);
        await (await Host.Client.SendAsync(put)).ReadJsonAsync(HttpStatusCode.OK);

        var view = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services/orders/apis/list/effective-policy"))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(4, view.GetProperty("version").GetInt64());
        Assert.Equal("api", Member(view, "canary").GetProperty("source").GetString());
        Assert.Equal(50, Member(view, "canary").GetProperty("value").GetProperty("percent").GetDouble());
    }

    [Theory]
    [InlineData("no-such-group", "orders", "list", "group 'no-such-group' does not exist")]
    [InlineData(null, "billing", "list", "service 'billing' does not exist")]
    [InlineData(null, "orders", "nope", "API 'nope' does not exist in service 'orders'")]
    public async Task Get_UnknownIds_404Problem(string? groupOverride, string service, string api, string detail)
    {
        var group = groupOverride ?? await GroupWithOrdersAsync();
        var problem = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services/{service}/apis/{api}/effective-policy"))
            .ReadProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains(detail, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Post_ServiceWithBadCanary_ValidationNamesTheField()
    {
        var group = await Host.CreateGroupAsync();
        var body = """{"name":"s","policy":{"canary":{"gray":"beta","percent":150}},"nodes":[],"apis":[]}""";
        var problem = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(body)))
            .ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("services[s].policy.canary.percent", out _), problem.ToString());
    }
}

public sealed class EffectivePolicyApiTestsSqlite(SqliteAdmin fixture) : EffectivePolicyApiTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class EffectivePolicyApiTestsPostgres(PostgresAdmin fixture) : EffectivePolicyApiTests(fixture), IClassFixture<PostgresAdmin>;
