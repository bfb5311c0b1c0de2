using System.Net;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Core.Config;

namespace Gatehouse.Admin.Tests.Storage;

/// <summary>
/// PostgreSQL-only end-to-end paths through the hand-written migrations; the whole API suite also runs on PostgreSQL
/// (the <c>...Postgres</c> classes in Api).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PostgresServer postgres)
{
    [Fact]
    public async Task Postgres_MigratesWritesPublishesAndRecordsHeartbeats()
    {
        await using var host = await postgres.StartAdminAsync();

        var group = await host.CreateGroupAsync();
        await (await host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/services/orders")
        {
            Content = AdminHost.Json(Http.Service("orders")),
        }.WithRevision(5);
        await (await host.Client.SendAsync(stale)).ReadProblemAsync(HttpStatusCode.Conflict);

        var document = await (await host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Get, $"/api/v1/gateway/config?group={group}&node=gw-1")))
            .ReadJsonAsync(HttpStatusCode.OK);
        var config = ConfigSerializer.Deserialize(document.GetProperty("config").GetRawText(), "test");
        Assert.Equal(2, config.Version);
        Assert.Equal(ConfigChecksum.Compute(config), document.GetProperty("checksum").GetString());

        var heartbeat = $$"""{"nodeId":"gw-1","group":"{{group}}","version":2,"checksum":"{{ConfigChecksum.Compute(config)}}"}""";
        Assert.Equal(HttpStatusCode.NoContent,
            (await host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Post, "/api/v1/gateway/heartbeat", heartbeat))).StatusCode);
        var nodes = await (await host.Client.GetAsync($"/api/v1/groups/{group}/gateways")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.True(Assert.Single(nodes.EnumerateArray()).GetProperty("current").GetBoolean());
        Assert.Equal(2, await host.VersionCountAsync(group));
    }

    [Fact]
    public async Task Postgres_RecordsAuditRowsAndRollsBack()
    {
        await using var host = await postgres.StartAdminAsync();

        var group = await host.CreateGroupAsync();
        await (await host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        var v2 = await (await host.Client.GetAsync($"/api/v1/groups/{group}/versions/2")).ReadJsonAsync(HttpStatusCode.OK);
        var replace = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/services/orders")
        {
            Content = AdminHost.Json(Http.Service("orders", weight: 7)),
        }.WithRevision(1);
        await (await host.Client.SendAsync(replace)).ReadJsonAsync(HttpStatusCode.OK);
        await (await host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("bad", weight: 999999))))
            .ReadProblemAsync(HttpStatusCode.BadRequest);

        var diff = await (await host.Client.GetAsync($"/api/v1/groups/{group}/versions/2/diff/3")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("services[orders].nodes[orders-1]", Assert.Single(diff.GetProperty("changes").EnumerateArray()).GetProperty("entry").GetString());

        var rolledBack = await (await host.Client.PostAsync($"/api/v1/groups/{group}/versions/2/rollback", null)).ReadJsonAsync(HttpStatusCode.OK);
        var restored = ConfigSerializer.Deserialize(v2.GetProperty("config").GetRawText(), "test") with { Version = 4 };
        Assert.Equal(ConfigChecksum.Compute(restored), rolledBack.GetProperty("checksum").GetString());
        await (await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/services/orders")
        {
            Content = AdminHost.Json(Http.Service("orders", weight: 9)),
        }.WithRevision(2))).ReadProblemAsync(HttpStatusCode.Conflict);

        var audit = await (await host.Client.GetAsync($"/api/v1/audit?group={group}")).ReadJsonAsync(HttpStatusCode.OK);
        var rows = audit.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["rollback", "service.replace", "service.create", "group.create"], rows.Select(r => r.GetProperty("action").GetString()));
        Assert.Equal(7, rows[1].GetProperty("after").GetProperty("nodes")[0].GetProperty("weight").GetInt32());
        Assert.Equal(2, rows[0].GetProperty("sourceVersion").GetInt64());
        var ids = rows.Select(r => r.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(ids.OrderDescending(), ids);
    }
}
