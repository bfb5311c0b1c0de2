using System.Net;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Core.Config;

namespace Gatehouse.Admin.Tests.Api;

public abstract class RollbackTests(AdminFixture fixture)
{
    private AdminHost Host => fixture.Host;

    [Fact]
    public async Task Rollback_RestoresTheExactConfig_AndStaleRevisionsAreRefused()
    {
        var group = await Host.CreateGroupAsync();
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        var mapping = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/origin-mappings",
            AdminHost.Json("""{"pathPrefix":"/o","service":"orders","stripPrefix":true}"""))).ReadJsonAsync(HttpStatusCode.Created);
        var v3 = await SnapshotAsync(group, 3);

        await Send(HttpMethod.Put, $"/api/v1/groups/{group}/services/orders", Http.Service("orders", weight: 7), revision: 1);
        await Send(HttpMethod.Put, $"/api/v1/groups/{group}/global-policy", """{"timeouts":{"connectMs":500}}""", revision: 1);
        Assert.Equal(HttpStatusCode.NoContent,
            (await Host.Client.DeleteAsync($"/api/v1/groups/{group}/origin-mappings/{mapping.GetProperty("id").GetString()}")).StatusCode);
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("payments", path: "/p"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        Assert.Equal(7, await Host.VersionCountAsync(group));

        var rolledBack = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/versions/3/rollback", null)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(8, rolledBack.GetProperty("version").GetInt64());
        Assert.Equal(ConfigChecksum.Compute(v3 with { Version = 8 }), rolledBack.GetProperty("checksum").GetString());
        var v8 = await SnapshotAsync(group, 8);
        Assert.Equal(ConfigChecksum.ToCanonicalJson(v3 with { Version = 0 }), ConfigChecksum.ToCanonicalJson(v8 with { Version = 0 }));
        var diff = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/versions/3/diff/8")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Empty(diff.GetProperty("changes").EnumerateArray());

        // The tables match the restored config, not only the published snapshot.
        await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services/payments")).ReadProblemAsync(HttpStatusCode.NotFound);
        var mappings = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/origin-mappings")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("/o", Assert.Single(mappings.EnumerateArray()).GetProperty("mapping").GetProperty("pathPrefix").GetString());
        var policy = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/global-policy")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False(policy.TryGetProperty("policy", out var value) && value.ValueKind != JsonValueKind.Null);

        // An editor still holding the revisions from before the rollback must not overwrite the restored config.
        var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/services/orders")
        {
            Content = AdminHost.Json(Http.Service("orders", weight: 9)),
        }.WithRevision(2);
        await (await Host.Client.SendAsync(stale)).ReadProblemAsync(HttpStatusCode.Conflict);
        var stalePolicy = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/global-policy")
        {
            Content = AdminHost.Json("""{"timeouts":{"connectMs":9}}"""),
        }.WithRevision(2);
        await (await Host.Client.SendAsync(stalePolicy)).ReadProblemAsync(HttpStatusCode.Conflict);
        var orders = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services/orders")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(3, orders.GetProperty("revision").GetInt64());
        Assert.Equal(100, orders.GetProperty("service").GetProperty("nodes")[0].GetProperty("weight").GetInt32());

        var audit = await (await Host.Client.GetAsync($"/api/v1/audit?group={group}&limit=1")).ReadJsonAsync(HttpStatusCode.OK);
        var row = Assert.Single(audit.GetProperty("items").EnumerateArray());
        Assert.Equal("rollback", row.GetProperty("action").GetString());
        Assert.Equal(3, row.GetProperty("sourceVersion").GetInt64());
        Assert.Equal(8, row.GetProperty("version").GetInt64());
        Assert.Equal("payments", row.GetProperty("before").GetProperty("services")[1].GetProperty("name").GetString());
        Assert.Equal(8, row.GetProperty("after").GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Rollback_UnknownVersionOrGroup_Is404AndPublishesNothing()
    {
        var group = await Host.CreateGroupAsync();
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/versions/2/rollback", null)).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await Host.Client.PostAsync("/api/v1/groups/no-such-group/versions/1/rollback", null)).ReadProblemAsync(HttpStatusCode.NotFound);

        Assert.Equal(1, await Host.VersionCountAsync(group));
        var audit = await (await Host.Client.GetAsync($"/api/v1/audit?group={group}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, audit.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Rollback_ToTheEmptyFirstVersion_RemovesEverything()
    {
        var group = await Host.CreateGroupAsync();
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);

        var rolledBack = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/versions/1/rollback", null)).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(ConfigChecksum.Compute(new GatewayConfig { Version = 3, Group = group }), rolledBack.GetProperty("checksum").GetString());
        var services = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, services.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Rollback_RestoringADeletedService_KeepsItsOldRevisionsStale()
    {
        var group = await Host.CreateGroupAsync();
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        var delete = new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/groups/{group}/services/orders").WithRevision(1);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.Client.SendAsync(delete)).StatusCode);

        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/versions/2/rollback", null)).ReadJsonAsync(HttpStatusCode.OK);

        var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/services/orders")
        {
            Content = AdminHost.Json(Http.Service("orders", weight: 9)),
        }.WithRevision(1);
        await (await Host.Client.SendAsync(stale)).ReadProblemAsync(HttpStatusCode.Conflict);
        var orders = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/services/orders")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(4, orders.GetProperty("revision").GetInt64());
    }

    private async Task<GatewayConfig> SnapshotAsync(string group, long version)
    {
        var document = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/versions/{version}")).ReadJsonAsync(HttpStatusCode.OK);
        return ConfigSerializer.Deserialize(document.GetProperty("config").GetRawText(), "test");
    }

    private async Task Send(HttpMethod method, string path, string body, long revision)
    {
        var request = new HttpRequestMessage(method, path) { Content = AdminHost.Json(body) }.WithRevision(revision);
        await (await Host.Client.SendAsync(request)).ReadJsonAsync(HttpStatusCode.OK);
    }
}

public sealed class RollbackTestsSqlite(SqliteAdmin fixture) : RollbackTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class RollbackTestsPostgres(PostgresAdmin fixture) : RollbackTests(fixture), IClassFixture<PostgresAdmin>;
