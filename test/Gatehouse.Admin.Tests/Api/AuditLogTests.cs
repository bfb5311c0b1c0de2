using System.Net;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;

namespace Gatehouse.Admin.Tests.Api;

public abstract class AuditLogTests(AdminFixture fixture)
{
    private AdminHost Host => fixture.Host;

    [Fact]
    public async Task EveryKindOfWrite_RecordsOneRowWithBeforeAfterAndVersion()
    {
        var group = await Host.CreateGroupAsync();
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        await Send(HttpMethod.Put, $"/api/v1/groups/{group}/services/orders", Http.Service("orders", weight: 7), revision: 1);
        await Send(HttpMethod.Post, $"/api/v1/groups/{group}/services/orders/nodes/orders-1/offline", null, revision: 2);
        await Send(HttpMethod.Post, $"/api/v1/groups/{group}/services/orders/nodes/orders-1/online", null, revision: 3);
        var mapping = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/origin-mappings",
            AdminHost.Json("""{"pathPrefix":"/o","service":"orders"}"""))).ReadJsonAsync(HttpStatusCode.Created);
        var mappingId = mapping.GetProperty("id").GetString()!;
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/service-sets", AdminHost.Json("""{"tag":"blue","services":["orders"]}""")))
            .ReadJsonAsync(HttpStatusCode.Created);
        await Send(HttpMethod.Put, $"/api/v1/groups/{group}/global-policy", """{"timeouts":{"connectMs":500}}""", revision: 1);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.Client.DeleteAsync($"/api/v1/groups/{group}/service-sets/blue")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.Client.DeleteAsync($"/api/v1/groups/{group}/origin-mappings/{mappingId}")).StatusCode);
        var delete = new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/groups/{group}/services/orders").WithRevision(4);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.Client.SendAsync(delete)).StatusCode);
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/import", AdminHost.Json($$"""{"services":[{{Http.Service("billing")}}]}""")))
            .ReadJsonAsync(HttpStatusCode.OK);

        var rows = (await AuditAsync($"group={group}")).Reverse().ToList();
        Assert.Equal(
            ["group.create", "service.create", "service.replace", "node.offline", "node.online", "originMapping.create", "serviceSet.create",
             "globalPolicy.replace", "serviceSet.delete", "originMapping.delete", "service.delete", "import"],
            rows.Select(r => r.GetProperty("action").GetString()));
        Assert.Equal(Enumerable.Range(1, 12).Select(v => (long)v), rows.Select(r => r.GetProperty("version").GetInt64()));
        Assert.All(rows, r => Assert.Equal("admin", r.GetProperty("actor").GetString()));

        var created = rows[0];
        Assert.Equal(("group", group), Entity(created));
        Assert.Equal(JsonValueKind.Null, created.GetProperty("before").ValueKind);
        Assert.Equal(group, created.GetProperty("after").GetProperty("group").GetString());

        Assert.Equal(("service", "orders"), Entity(rows[1]));
        Assert.Equal(JsonValueKind.Null, rows[1].GetProperty("before").ValueKind);
        Assert.Equal(100, NodeWeight(rows[1].GetProperty("after")));
        Assert.Equal(100, NodeWeight(rows[2].GetProperty("before")));
        Assert.Equal(7, NodeWeight(rows[2].GetProperty("after")));
        Assert.True(rows[3].GetProperty("before").GetProperty("nodes")[0].GetProperty("online").GetBoolean());
        Assert.False(rows[3].GetProperty("after").GetProperty("nodes")[0].GetProperty("online").GetBoolean());
        Assert.True(rows[4].GetProperty("after").GetProperty("nodes")[0].GetProperty("online").GetBoolean());

        Assert.Equal(("originMapping", mappingId), Entity(rows[5]));
        Assert.Equal("/o", rows[5].GetProperty("after").GetProperty("pathPrefix").GetString());
        Assert.Equal(("serviceSet", "blue"), Entity(rows[6]));
        Assert.Equal("orders", rows[6].GetProperty("after").GetProperty("services")[0].GetString());
        Assert.Equal(("globalPolicy", group), Entity(rows[7]));
        Assert.Equal(JsonValueKind.Null, rows[7].GetProperty("before").ValueKind);
        Assert.Equal(500, rows[7].GetProperty("after").GetProperty("timeouts").GetProperty("connectMs").GetInt32());

        foreach (var removal in rows.Skip(8).Take(3))
        {
            Assert.NotEqual(JsonValueKind.Null, removal.GetProperty("before").ValueKind);
            Assert.Equal(JsonValueKind.Null, removal.GetProperty("after").ValueKind);
        }

        Assert.Equal("orders", rows[10].GetProperty("before").GetProperty("name").GetString());
        var import = rows[11];
        Assert.Equal(("group", group), Entity(import));
        Assert.Equal(11, import.GetProperty("before").GetProperty("version").GetInt64());
        Assert.Empty(import.GetProperty("before").GetProperty("services").EnumerateArray());
        Assert.Equal("billing", import.GetProperty("after").GetProperty("services")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task RefusedWrites_LeaveNoAuditRow()
    {
        var group = await Host.CreateGroupAsync();
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);

        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("bad", weight: 999999))))
            .ReadProblemAsync(HttpStatusCode.BadRequest);
        var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/services/orders")
        {
            Content = AdminHost.Json(Http.Service("orders", weight: 3)),
        }.WithRevision(9);
        await (await Host.Client.SendAsync(stale)).ReadProblemAsync(HttpStatusCode.Conflict);
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/origin-mappings",
            AdminHost.Json("""{"pathPrefix":"/x","service":"missing"}"""))).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/import", AdminHost.Json("""{"services":[{"name":""}]}""")))
            .ReadProblemAsync(HttpStatusCode.BadRequest);

        var rows = await AuditAsync($"group={group}");
        Assert.Equal(["service.create", "group.create"], rows.Select(r => r.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task List_IsNewestFirst_PagedAndFilteredByEntity()
    {
        var group = await Host.CreateGroupAsync();
        foreach (var name in new[] { "a", "b", "c" })
        {
            await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service(name, path: "/" + name))))
                .ReadJsonAsync(HttpStatusCode.Created);
        }

        await Send(HttpMethod.Put, $"/api/v1/groups/{group}/services/b", Http.Service("b", weight: 5, path: "/b"), revision: 1);

        var page = await (await Host.Client.GetAsync($"/api/v1/audit?group={group}&offset=1&limit=2")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(5, page.GetProperty("total").GetInt32());
        Assert.Equal(["c", "b"], page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("entityId").GetString()));
        Assert.Equal([4L, 3L], page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("version").GetInt64()));

        var forB = await AuditAsync($"group={group}&entity=b");
        Assert.Equal(["service.replace", "service.create"], forB.Select(r => r.GetProperty("action").GetString()));

        var bad = await Host.Client.GetAsync("/api/v1/audit?limit=501");
        Assert.True((await bad.ReadProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("limit", out _));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Host.Anonymous.GetAsync("/api/v1/audit")).StatusCode);
    }

    [Fact]
    public async Task GroupDelete_IsRecordedAndTheLogOutlivesTheGroup()
    {
        var group = await Host.CreateGroupAsync();
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.Client.DeleteAsync($"/api/v1/groups/{group}")).StatusCode);

        var rows = await AuditAsync($"group={group}");
        Assert.Equal(["group.delete", "service.create", "group.create"], rows.Select(r => r.GetProperty("action").GetString()));
        Assert.Equal(JsonValueKind.Null, rows[0].GetProperty("version").ValueKind);
        Assert.Equal("orders", rows[0].GetProperty("before").GetProperty("services")[0].GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, rows[0].GetProperty("after").ValueKind);
    }

    [Fact]
    public async Task Filters_EntityKindActorAndTimeRange_NarrowTheLog()
    {
        var group = await Host.CreateGroupAsync();
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        await Task.Delay(50);
        var middle = DateTimeOffset.UtcNow;
        await Task.Delay(50);
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("billing", path: "/billing"))))
            .ReadJsonAsync(HttpStatusCode.Created);

        Assert.Equal(["service.create", "service.create"],
            (await AuditAsync($"group={group}&entityKind=service")).Select(r => r.GetProperty("action").GetString()));
        Assert.Equal(3, (await AuditAsync($"group={group}&actor=admin")).Length);
        Assert.Empty(await AuditAsync($"group={group}&actor=nobody"));

        var stamp = Uri.EscapeDataString(middle.ToString("O"));
        Assert.Equal(["billing"], (await AuditAsync($"group={group}&since={stamp}")).Select(r => r.GetProperty("entityId").GetString()));
        var before = await AuditAsync($"group={group}&until={stamp}");
        Assert.Equal(["service.create", "group.create"], before.Select(r => r.GetProperty("action").GetString()));

        // Paging applies after the time range: the total counts only the rows in range.
        var page = await (await Host.Client.GetAsync($"/api/v1/audit?group={group}&until={stamp}&limit=1&offset=1")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, page.GetProperty("total").GetInt32());
        Assert.Equal("group.create", page.GetProperty("items")[0].GetProperty("action").GetString());

        var bad = await (await Host.Client.GetAsync("/api/v1/audit?since=yesterday")).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(bad.GetProperty("errors").TryGetProperty("since", out _), bad.ToString());
    }

    private async Task<JsonElement[]> AuditAsync(string query)
    {
        var page = await (await Host.Client.GetAsync($"/api/v1/audit?{query}&limit=500")).ReadJsonAsync(HttpStatusCode.OK);
        return page.GetProperty("items").EnumerateArray().ToArray();
    }

    private async Task Send(HttpMethod method, string path, string? body, long revision)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : AdminHost.Json(body) }.WithRevision(revision);
        await (await Host.Client.SendAsync(request)).ReadJsonAsync(HttpStatusCode.OK);
    }

    private static (string?, string?) Entity(JsonElement row) =>
        (row.GetProperty("entityKind").GetString(), row.GetProperty("entityId").GetString());

    private static int NodeWeight(JsonElement service) => service.GetProperty("nodes")[0].GetProperty("weight").GetInt32();
}

public sealed class AuditLogTestsSqlite(SqliteAdmin fixture) : AuditLogTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class AuditLogTestsPostgres(PostgresAdmin fixture) : AuditLogTests(fixture), IClassFixture<PostgresAdmin>;
