using System.Net;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;

namespace Gatehouse.Admin.Tests.Api;

public abstract class VersionDiffTests(AdminFixture fixture)
{
    private const string Before = """
        {"services":[
          {"name":"orders",
           "nodes":[{"id":"o1","address":"http://127.0.0.1:5101"},{"id":"o2","address":"http://127.0.0.1:5102"}],
           "apis":[{"id":"list","methods":["GET"],"path":"/orders"},{"id":"old","methods":["GET"],"path":"/old"}]},
          {"name":"billing","nodes":[{"id":"b1","address":"http://127.0.0.1:5201"}],"apis":[{"id":"b","path":"/billing"}]},
          {"name":"stable","nodes":[{"address":"http://127.0.0.1:5301"}],"apis":[{"id":"s","path":"/stable"}]}],
         "originMappings":[{"pathPrefix":"/o","service":"orders"},{"pathPrefix":"/b","service":"billing"}],
         "serviceSets":[{"tag":"blue","services":["orders"]},{"tag":"gone","services":["billing"]}]}
        """;

    private const string After = """
        {"global":{"timeouts":{"connectMs":500}},
         "services":[
          {"name":"orders","policy":{"timeouts":{"connectMs":100}},
           "nodes":[{"id":"o1","address":"http://127.0.0.1:5101","weight":5},{"id":"o3","address":"http://127.0.0.1:5103"}],
           "apis":[{"id":"list","methods":["GET","HEAD"],"path":"/orders"},{"id":"new","methods":["POST"],"path":"/new"}]},
          {"name":"stable","nodes":[{"address":"http://127.0.0.1:5301"}],"apis":[{"id":"s","path":"/stable"}]},
          {"name":"payments","nodes":[{"id":"p1","address":"http://127.0.0.1:5401"}],"apis":[{"id":"p","path":"/payments"}]}],
         "originMappings":[{"pathPrefix":"/o","service":"orders"},{"pathPrefix":"/p","service":"payments"}],
         "serviceSets":[{"tag":"blue","services":["orders","payments"]},{"tag":"red","services":["stable"]}]}
        """;

    private AdminHost Host => fixture.Host;

    [Fact]
    public async Task Diff_ReportsAddRemoveChangeAtEveryLevel()
    {
        var group = await Host.CreateGroupAsync();
        await ImportAsync(group, Before);
        await ImportAsync(group, After);

        var diff = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/versions/2/diff/3")).ReadJsonAsync(HttpStatusCode.OK);
        var changes = diff.GetProperty("changes").EnumerateArray().ToList();
        Assert.Equal(
            new[]
            {
                "global added", "services[orders].policy added", "services[orders].nodes[o1] changed", "services[orders].nodes[o2] removed",
                "services[orders].nodes[o3] added", "services[orders].apis[list] changed", "services[orders].apis[old] removed",
                "services[orders].apis[new] added", "services[billing] removed", "services[payments] added", "originMappings[1] removed",
                "originMappings[1] added", "serviceSets[blue] changed", "serviceSets[gone] removed", "serviceSets[red] added",
            }.Order(),
            changes.Select(c => $"{c.GetProperty("entry").GetString()} {c.GetProperty("change").GetString()}").Order());

        var node = changes.Single(c => c.GetProperty("entry").GetString() == "services[orders].nodes[o1]");
        Assert.Equal(100, node.GetProperty("before").GetProperty("weight").GetInt32());
        Assert.Equal(5, node.GetProperty("after").GetProperty("weight").GetInt32());
        var removedMapping = changes.Single(c => c.GetProperty("change").GetString() == "removed" && c.GetProperty("entry").GetString() == "originMappings[1]");
        Assert.Equal("/b", removedMapping.GetProperty("before").GetProperty("pathPrefix").GetString());
        Assert.Equal(2, diff.GetProperty("from").GetInt64());
        Assert.Equal(3, diff.GetProperty("to").GetInt64());

        // The other direction swaps added and removed.
        var back = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/versions/3/diff/2")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains(back.GetProperty("changes").EnumerateArray(),
            c => c.GetProperty("entry").GetString() == "services[billing]" && c.GetProperty("change").GetString() == "added");
        Assert.Contains(back.GetProperty("changes").EnumerateArray(),
            c => c.GetProperty("entry").GetString() == "global" && c.GetProperty("change").GetString() == "removed");
    }

    [Fact]
    public async Task Diff_SameContent_IsEmpty_AndOrderChangeIsReported()
    {
        var group = await Host.CreateGroupAsync();
        await ImportAsync(group, Before);
        await ImportAsync(group, Before);
        var same = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/versions/2/diff/3")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Empty(same.GetProperty("changes").EnumerateArray());

        var swapped = JsonSerializer.Deserialize<System.Text.Json.Nodes.JsonObject>(Before)!;
        var services = swapped["services"]!.AsArray();
        var first = services[0]!.DeepClone();
        services.RemoveAt(0);
        services.Add(first);
        await ImportAsync(group, swapped.ToJsonString());

        var diff = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/versions/3/diff/4")).ReadJsonAsync(HttpStatusCode.OK);
        var change = Assert.Single(diff.GetProperty("changes").EnumerateArray());
        Assert.Equal("services", change.GetProperty("entry").GetString());
        Assert.Equal("reordered", change.GetProperty("change").GetString());
        Assert.Equal(["billing", "stable", "orders"], change.GetProperty("after").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Diff_UnknownVersionOrGroup_Is404()
    {
        var group = await Host.CreateGroupAsync();
        await (await Host.Client.GetAsync($"/api/v1/groups/{group}/versions/1/diff/1")).ReadJsonAsync(HttpStatusCode.OK);
        await (await Host.Client.GetAsync($"/api/v1/groups/{group}/versions/1/diff/9")).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await Host.Client.GetAsync($"/api/v1/groups/{group}/versions/9/diff/1")).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await Host.Client.GetAsync("/api/v1/groups/no-such-group/versions/1/diff/1")).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    private async Task ImportAsync(string group, string json) =>
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/import", AdminHost.Json(json))).ReadJsonAsync(HttpStatusCode.OK);
}

public sealed class VersionDiffTestsSqlite(SqliteAdmin fixture) : VersionDiffTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class VersionDiffTestsPostgres(PostgresAdmin fixture) : VersionDiffTests(fixture), IClassFixture<PostgresAdmin>;
