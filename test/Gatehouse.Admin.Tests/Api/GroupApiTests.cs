using System.Net;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Core.Config;

namespace Gatehouse.Admin.Tests.Api;

public abstract class GroupApiTests(AdminFixture fixture)
{
    private AdminHost Host => fixture.Host;

    [Fact]
    public async Task Versions_GrowByOnePerWrite_AndSnapshotChecksumMatches()
    {
        var group = await Host.CreateGroupAsync();
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/service-sets", AdminHost.Json("""{"tag":"mobile","services":["orders"]}""")))
            .ReadJsonAsync(HttpStatusCode.Created);

        var page = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/versions")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(3, page.GetProperty("total").GetInt32());
        var versions = page.GetProperty("items").EnumerateArray().Select(v => v.GetProperty("version").GetInt64()).ToList();
        Assert.Equal([3L, 2L, 1L], versions);
        Assert.Equal("admin", page.GetProperty("items")[0].GetProperty("actor").GetString());

        var document = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/versions/3")).ReadJsonAsync(HttpStatusCode.OK);
        var config = ConfigSerializer.Deserialize(document.GetProperty("config").GetRawText(), "test");
        Assert.Equal(3, config.Version);
        Assert.Equal(group, config.Group);
        Assert.Equal("mobile", Assert.Single(config.ServiceSets).Tag);
        Assert.Equal(ConfigChecksum.Compute(config), document.GetProperty("checksum").GetString());
        Assert.Equal(page.GetProperty("items")[0].GetProperty("checksum").GetString(), document.GetProperty("checksum").GetString());

        await (await Host.Client.GetAsync($"/api/v1/groups/{group}/versions/99")).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Groups_CreateListDelete()
    {
        var group = await Host.CreateGroupAsync();
        var list = await (await Host.Client.GetAsync("/api/v1/groups")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains(list.EnumerateArray(), g => g.GetProperty("name").GetString() == group && g.GetProperty("version").GetInt64() == 1);

        var duplicate = await Host.Client.PostAsync("/api/v1/groups", AdminHost.Json($$"""{"name":"{{group.ToUpperInvariant()}}"}"""));
        await duplicate.ReadProblemAsync(HttpStatusCode.Conflict);
        var invalid = await Host.Client.PostAsync("/api/v1/groups", AdminHost.Json("""{"name":"has space"}"""));
        Assert.True((await invalid.ReadProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("name", out _));

        Assert.Equal(HttpStatusCode.NoContent, (await Host.Client.DeleteAsync($"/api/v1/groups/{group}")).StatusCode);
        await (await Host.Client.GetAsync($"/api/v1/groups/{group}/versions")).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await Host.Client.DeleteAsync($"/api/v1/groups/{group}")).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task OriginMappingsAndServiceSets_CreateListDelete()
    {
        var group = await Host.CreateGroupAsync();
        await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders")));
        var mapping = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/origin-mappings",
            AdminHost.Json("""{"domainPrefix":"orders","service":"orders"}"""))).ReadJsonAsync(HttpStatusCode.Created);
        var id = mapping.GetProperty("id").GetString();

        var mappings = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/origin-mappings")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("orders", Assert.Single(mappings.EnumerateArray()).GetProperty("mapping").GetProperty("domainPrefix").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await Host.Client.DeleteAsync($"/api/v1/groups/{group}/origin-mappings/{id}")).StatusCode);
        Assert.Empty((await (await Host.Client.GetAsync($"/api/v1/groups/{group}/origin-mappings")).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray());

        var badSet = await Host.Client.PostAsync($"/api/v1/groups/{group}/service-sets", AdminHost.Json("""{"tag":"m","services":["nope"]}"""));
        Assert.True((await badSet.ReadProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("serviceSets[m].services[0]", out _));
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/service-sets", AdminHost.Json("""{"tag":"m","services":["orders"]}""")))
            .ReadJsonAsync(HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.Client.DeleteAsync($"/api/v1/groups/{group}/service-sets/m")).StatusCode);
        await (await Host.Client.DeleteAsync($"/api/v1/groups/{group}/service-sets/m")).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task GlobalPolicy_PutNeedsTheGroupRevision()
    {
        var group = await Host.CreateGroupAsync();
        var policy = """{"loadBalancer":{"kind":"leastInFlight"}}""";
        await (await Host.Client.PutAsync($"/api/v1/groups/{group}/global-policy", AdminHost.Json(policy)))
            .ReadProblemAsync(HttpStatusCode.PreconditionRequired);

        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/global-policy") { Content = AdminHost.Json(policy) }.WithRevision(1);
        var updated = await (await Host.Client.SendAsync(put)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, updated.GetProperty("revision").GetInt64());

        var got = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/global-policy")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("leastInFlight", got.GetProperty("policy").GetProperty("loadBalancer").GetProperty("kind").GetString());

        var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/global-policy") { Content = AdminHost.Json(policy) }.WithRevision(1);
        await (await Host.Client.SendAsync(stale)).ReadProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task GlobalPolicy_PutAsYaml_PublishesIt_AndErrorsNameTheLine()
    {
        var group = await Host.CreateGroupAsync();
        var versions = await Host.VersionCountAsync(group);
        static HttpRequestMessage Put(string group, string yaml, long revision) =>
            new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/global-policy")
            {
                Content = new StringContent(yaml, System.Text.Encoding.UTF8, "application/yaml"),
            }.WithRevision(revision);

        // A value out of range on line 3 and an unknown key on line 4: both reported, each with its line.
        var bad = await (await Host.Client.SendAsync(Put(group, "timeouts:\n  idleMs: 1000\n  connectMs: -5\n  colour: red\n", 1)))
            .ReadProblemAsync(HttpStatusCode.BadRequest);
        var errors = bad.GetProperty("errors");
        Assert.Contains("line 3", errors.GetProperty("global.timeouts.connectMs")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("line 4", errors.GetProperty("global.timeouts.colour")[0].GetString(), StringComparison.Ordinal);
        var syntax = await (await Host.Client.SendAsync(Put(group, "timeouts:\n  connectMs: [1\n", 1))).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("line", syntax.GetProperty("errors").EnumerateObject().Single().Value[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(versions, await Host.VersionCountAsync(group));

        var updated = await (await Host.Client.SendAsync(Put(group, "loadBalancer:\n  kind: leastInFlight\ntimeouts:\n  connectMs: 700\n", 1)))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, updated.GetProperty("revision").GetInt64());
        Assert.Equal(700, updated.GetProperty("policy").GetProperty("timeouts").GetProperty("connectMs").GetInt32());
        Assert.Equal(versions + 1, await Host.VersionCountAsync(group));
        await (await Host.Client.SendAsync(Put(group, "timeouts:\n  connectMs: 800\n", 1))).ReadProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task AdminApi_WithoutOrWithWrongToken_Is401Problem()
    {
        await (await Host.Anonymous.GetAsync("/api/v1/groups")).ReadProblemAsync(HttpStatusCode.Unauthorized);
        await (await Host.Anonymous.PostAsync("/api/v1/groups", AdminHost.Json("not json"))).ReadProblemAsync(HttpStatusCode.Unauthorized);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/v1/groups");
        wrong.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-the-token");
        await (await Host.Anonymous.SendAsync(wrong)).ReadProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task OpenApiDocument_ListsTheEndpoints()
    {
        var document = await (await Host.Anonymous.GetAsync("/openapi/v1.json")).ReadJsonAsync(HttpStatusCode.OK);
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/v1/groups/{group}/services/{name}", paths);
        Assert.Contains("/api/v1/gateway/config", paths);
        Assert.Contains("/api/v1/groups/{group}/debug-tokens", paths);
        var explain = document.GetProperty("paths").GetProperty("/api/v1/groups/{group}/explain").GetProperty("post");
        Assert.Equal("Explain", explain.GetProperty("tags")[0].GetString());
        Assert.Equal(JsonValueKind.Object, document.GetProperty("info").ValueKind);
    }
}

public sealed class GroupApiTestsSqlite(SqliteAdmin fixture) : GroupApiTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class GroupApiTestsPostgres(PostgresAdmin fixture) : GroupApiTests(fixture), IClassFixture<PostgresAdmin>;
