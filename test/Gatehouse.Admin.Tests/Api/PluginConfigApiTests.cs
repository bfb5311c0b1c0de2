using System.Net;
using Gatehouse.Admin.Tests.Infrastructure;

namespace Gatehouse.Admin.Tests.Api;

/// <summary>
/// <c>policy.filters</c> through the admin API: validated with the same Core validator as a gateway, so an unknown
/// plugin or bad settings are refused with the entry named and nothing is stored.
/// </summary>
public abstract class PluginConfigApiTests(AdminFixture fixture)
{
    private AdminHost Host => fixture.Host;

    [Fact]
    public async Task Service_UnknownPluginAndBadSettings_RefusedWithEntries_ValidOnesStored()
    {
        var group = await Host.CreateGroupAsync();
        var bad = await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json("""
            {"name":"orders","nodes":[{"id":"orders-1","address":"http://127.0.0.1:5101"}],
             "policy":{"filters":[{"name":"corss"}]},
             "apis":[{"id":"get","path":"/orders","policy":{"filters":[{"name":"cors","settings":{"origins":["*"],"credentials":true}}]}}]}
            """));

        var errors = (await bad.ReadProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("services[orders].policy.filters[0].name", out var unknown), errors.ToString());
        Assert.Contains("did you mean 'cors'?", unknown.ToString(), StringComparison.Ordinal);
        Assert.Contains("known plugins: aggregate, basic-auth, cache, cors, headers, key-auth, mock, rewrite", unknown.ToString(), StringComparison.Ordinal);
        Assert.True(errors.TryGetProperty("services[orders].apis[get].policy.filters[0].settings.credentials", out _), errors.ToString());
        Assert.Equal(1, await Host.VersionCountAsync(group));

        var good = await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json("""
            {"name":"orders","nodes":[{"id":"orders-1","address":"http://127.0.0.1:5101"}],
             "apis":[{"id":"get","path":"/orders","policy":{"filters":[{"name":"mock","settings":{"status":202,"json":{"ok":true}}}]}}]}
            """));
        await good.ReadJsonAsync(HttpStatusCode.Created);
        var stored = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services/orders")).ReadJsonAsync(HttpStatusCode.OK);
        var filter = stored.GetProperty("service").GetProperty("apis")[0].GetProperty("policy").GetProperty("filters")[0];
        Assert.Equal("mock", filter.GetProperty("name").GetString());
        Assert.Equal(202, filter.GetProperty("settings").GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task GlobalPolicy_BadPluginSettings_RefusedWithEntry()
    {
        var group = await Host.CreateGroupAsync();
        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/global-policy")
        {
            Content = AdminHost.Json("""{"filters":[{"name":"headers","settings":{"request":{"set":{"Content-Length":"1"}}}}]}"""),
        }.WithRevision(1);

        var errors = (await (await Host.Client.SendAsync(put)).ReadProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");

        Assert.True(errors.TryGetProperty("global.filters[0].settings.request.set[Content-Length]", out _), errors.ToString());
    }
}

public sealed class PluginConfigApiTestsSqlite(SqliteAdmin fixture) : PluginConfigApiTests(fixture), IClassFixture<SqliteAdmin>;
