using System.Net;
using Gatehouse.Admin.Tests.Infrastructure;

namespace Gatehouse.Admin.Tests.Api;

public abstract class ServiceApiTests(AdminFixture fixture)
{
    private AdminHost Host => fixture.Host;

    [Fact]
    public async Task Service_CreateGetReplaceDelete_RoundTrips()
    {
        var group = await Host.CreateGroupAsync();
        var created = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        Assert.Equal(1, created.GetProperty("revision").GetInt64());

        var got = await Host.Client.GetAsync($"/api/v1/groups/{group}/services/orders");
        Assert.Equal("\"1\"", got.Headers.ETag?.ToString());
        var service = await got.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("http://127.0.0.1:5101", service.GetProperty("service").GetProperty("nodes")[0].GetProperty("address").GetString());

        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/services/orders")
        {
            Content = AdminHost.Json(Http.Service("orders", weight: 7)),
        }.WithRevision(1);
        var replaced = await (await Host.Client.SendAsync(put)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, replaced.GetProperty("revision").GetInt64());

        var reread = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services/orders")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(7, reread.GetProperty("service").GetProperty("nodes")[0].GetProperty("weight").GetInt32());

        var delete = new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/groups/{group}/services/orders").WithRevision(2);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.Client.SendAsync(delete)).StatusCode);
        await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services/orders")).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Create_InvalidNodeWeight_ErrorNamesTheEntry()
    {
        var group = await Host.CreateGroupAsync();
        var response = await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders", weight: 999999)));

        var problem = await response.ReadProblemAsync(HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("services[orders].nodes[orders-1].weight", out _), errors.ToString());
        Assert.Equal(1, await Host.VersionCountAsync(group));
    }

    [Fact]
    public async Task Create_UnknownKey_IsRejectedWithItsEntry()
    {
        var group = await Host.CreateGroupAsync();
        var response = await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json("""{"name":"orders","colour":"red"}"""));

        var errors = (await response.ReadProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("services[orders].colour", out _), errors.ToString());
    }

    [Fact]
    public async Task Delete_ServiceStillMapped_IsRejectedAndNothingChanges()
    {
        var group = await Host.CreateGroupAsync();
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/origin-mappings",
            AdminHost.Json("""{"pathPrefix":"/o","service":"orders","stripPrefix":true}"""))).ReadJsonAsync(HttpStatusCode.Created);
        var versionsBefore = await Host.VersionCountAsync(group);

        var delete = new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/groups/{group}/services/orders").WithRevision(1);
        var problem = await (await Host.Client.SendAsync(delete)).ReadProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("originMappings[0].service", out _), problem.ToString());
        Assert.Equal(versionsBefore, await Host.VersionCountAsync(group));
        await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services/orders")).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Replace_StaleRevision_Is409AndNothingChanges()
    {
        var group = await Host.CreateGroupAsync();
        await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders")));
        var first = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/services/orders")
        {
            Content = AdminHost.Json(Http.Service("orders", weight: 5)),
        }.WithRevision(1);
        await (await Host.Client.SendAsync(first)).ReadJsonAsync(HttpStatusCode.OK);
        var versions = await Host.VersionCountAsync(group);

        var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/services/orders")
        {
            Content = AdminHost.Json(Http.Service("orders", weight: 9)),
        }.WithRevision(1);
        await (await Host.Client.SendAsync(stale)).ReadProblemAsync(HttpStatusCode.Conflict);

        Assert.Equal(versions, await Host.VersionCountAsync(group));
        var service = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services/orders")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(5, service.GetProperty("service").GetProperty("nodes")[0].GetProperty("weight").GetInt32());
    }

    [Fact]
    public async Task Replace_WithoutRevision_Is428_AndRevisionInBodyIsAccepted()
    {
        var group = await Host.CreateGroupAsync();
        await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders")));

        var missing = await Host.Client.PutAsync($"/api/v1/groups/{group}/services/orders", AdminHost.Json(Http.Service("orders", weight: 3)));
        await missing.ReadProblemAsync(HttpStatusCode.PreconditionRequired);

        var withBodyRevision = Http.Service("orders", weight: 3).Replace("{\"name\"", "{\"revision\":1,\"name\"", StringComparison.Ordinal);
        var ok = await Host.Client.PutAsync($"/api/v1/groups/{group}/services/orders", AdminHost.Json(withBodyRevision));
        Assert.Equal(2, (await ok.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("revision").GetInt64());
    }

    [Fact]
    public async Task List_OffsetAndLimit_ReturnsThatPageAndTheTotal()
    {
        var group = await Host.CreateGroupAsync();
        foreach (var name in new[] { "a", "b", "c" })
        {
            await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service(name, path: "/" + name))))
                .ReadJsonAsync(HttpStatusCode.Created);
        }

        var page = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services?offset=1&limit=1")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(3, page.GetProperty("total").GetInt32());
        Assert.Equal("b", Assert.Single(page.GetProperty("items").EnumerateArray()).GetProperty("name").GetString());

        var bad = await Host.Client.GetAsync($"/api/v1/groups/{group}/services?limit=0");
        Assert.True((await bad.ReadProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("limit", out _));
    }

    [Fact]
    public async Task NodeOffline_ThenOnline_FlipsOnlyThatNode()
    {
        var group = await Host.CreateGroupAsync();
        await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders")));

        var offline = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/groups/{group}/services/orders/nodes/orders-1/offline").WithRevision(1);
        var off = await (await Host.Client.SendAsync(offline)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False(off.GetProperty("service").GetProperty("nodes")[0].GetProperty("online").GetBoolean());

        var online = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/groups/{group}/services/orders/nodes/orders-1/online").WithRevision(2);
        var on = await (await Host.Client.SendAsync(online)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.True(on.GetProperty("service").GetProperty("nodes")[0].GetProperty("online").GetBoolean());

        var unknown = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/groups/{group}/services/orders/nodes/nope/offline").WithRevision(3);
        await (await Host.Client.SendAsync(unknown)).ReadProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(4, await Host.VersionCountAsync(group));
    }

    [Fact]
    public async Task NodeOfflineOnline_WithoutRevision_Idempotent_StaleRevisionStill409()
    {
        var group = await Host.CreateGroupAsync();
        await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders")));
        var versions = await Host.VersionCountAsync(group);
        var path = $"/api/v1/groups/{group}/services/orders/nodes/orders-1";

        // No revision at all (the documented optional form): the switch is set and one version published.
        var off = await (await Host.Client.PostAsync($"{path}/offline", null)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False(off.GetProperty("service").GetProperty("nodes")[0].GetProperty("online").GetBoolean());
        Assert.Equal(2, off.GetProperty("revision").GetInt64());
        Assert.Equal(versions + 1, await Host.VersionCountAsync(group));

        // Again, and with an empty JSON body: nothing to change, so no new version and the same revision.
        var again = await (await Host.Client.PostAsync($"{path}/offline", AdminHost.Json("{}"))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False(again.GetProperty("service").GetProperty("nodes")[0].GetProperty("online").GetBoolean());
        Assert.Equal(2, again.GetProperty("revision").GetInt64());
        Assert.Equal(versions + 1, await Host.VersionCountAsync(group));

        // A revision that is given must be current, in the body or in If-Match, even when nothing would change.
        var stale = await (await Host.Client.PostAsync($"{path}/online", AdminHost.Json("""{"revision":1}"""))).ReadProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("stale_revision", stale.GetProperty("code").GetString());
        var staleHeader = new HttpRequestMessage(HttpMethod.Post, $"{path}/offline").WithRevision(1);
        await (await Host.Client.SendAsync(staleHeader)).ReadProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(versions + 1, await Host.VersionCountAsync(group));

        var on = await (await Host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"{path}/online").WithRevision(2)))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.True(on.GetProperty("service").GetProperty("nodes")[0].GetProperty("online").GetBoolean());
        Assert.Equal(versions + 2, await Host.VersionCountAsync(group));
    }

    [Fact]
    public async Task UnknownGroup_Is404Problem()
    {
        await (await Host.Client.GetAsync("/api/v1/groups/no-such-group/services")).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await Host.Client.PostAsync("/api/v1/groups/no-such-group/services", AdminHost.Json(Http.Service("x"))))
            .ReadProblemAsync(HttpStatusCode.NotFound);
    }
}

public sealed class ServiceApiTestsSqlite(SqliteAdmin fixture) : ServiceApiTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class ServiceApiTestsPostgres(PostgresAdmin fixture) : ServiceApiTests(fixture), IClassFixture<PostgresAdmin>;
