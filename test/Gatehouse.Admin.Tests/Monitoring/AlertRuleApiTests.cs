using System.Net;
using Gatehouse.Admin.Tests.Infrastructure;

namespace Gatehouse.Admin.Tests.Monitoring;

public abstract class AlertRuleApiTests(AdminFixture fixture)
{
    private AdminHost Host => fixture.Host;

    [Fact]
    public async Task Rules_CreateReadReplaceDelete_AuditedEachTime()
    {
        var group = await Host.CreateGroupAsync();
        var created = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/alert-rules", AdminHost.Json("""
            {"name":"orders errors","kind":"errorRate","threshold":5,"window":"2m","service":"Orders","minRequests":50,
             "cooldown":"10m","webhookUrl":"http://127.0.0.1:9/hook"}
            """))).ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal("orders", created.GetProperty("service").GetString());
        Assert.Equal("2m", created.GetProperty("window").GetString());
        Assert.Equal("10m", created.GetProperty("cooldown").GetString());
        Assert.Equal(50, created.GetProperty("minRequests").GetInt64());
        Assert.True(created.GetProperty("enabled").GetBoolean());

        var converged = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/alert-rules", AdminHost.Json("""
            {"name":"lagging gateways","kind":"gatewayNotConverged","for":"3m","webhookUrl":"https://hooks.example/x"}
            """))).ReadJsonAsync(HttpStatusCode.Created);
        Assert.Equal("3m", converged.GetProperty("for").GetString());
        Assert.Equal(0, converged.GetProperty("threshold").GetDouble());

        var list = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/alert-rules")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, list.GetArrayLength());

        var replaced = await (await Host.Client.PutAsync($"/api/v1/groups/{group}/alert-rules/{id}", AdminHost.Json("""
            {"name":"orders p99","kind":"p99Latency","threshold":250,"window":"5m","webhookUrl":"http://127.0.0.1:9/hook","enabled":false}
            """))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("p99Latency", replaced.GetProperty("kind").GetString());
        Assert.False(replaced.GetProperty("enabled").GetBoolean());
        var read = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/alert-rules/{id}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(250, read.GetProperty("threshold").GetDouble());

        Assert.Equal(HttpStatusCode.NoContent, (await Host.Client.DeleteAsync($"/api/v1/groups/{group}/alert-rules/{id}")).StatusCode);
        await (await Host.Client.GetAsync($"/api/v1/groups/{group}/alert-rules/{id}")).ReadProblemAsync(HttpStatusCode.NotFound);

        var audit = await (await Host.Client.GetAsync($"/api/v1/audit?group={group}")).ReadJsonAsync(HttpStatusCode.OK);
        var actions = audit.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Contains("alertRule.create", actions);
        Assert.Contains("alertRule.replace", actions);
        Assert.Contains("alertRule.delete", actions);
        var replace = audit.GetProperty("items").EnumerateArray().First(e => e.GetProperty("action").GetString() == "alertRule.replace");
        Assert.Equal("alertRule", replace.GetProperty("entityKind").GetString());
        Assert.Contains("errorRate", replace.GetProperty("before").GetRawText());
        Assert.Contains("p99Latency", replace.GetProperty("after").GetRawText());
    }

    [Theory]
    [InlineData("""{"kind":"errorRate","threshold":5,"webhookUrl":"http://x/h"}""", "name")]
    [InlineData("""{"name":"n","kind":"cpu","webhookUrl":"http://x/h"}""", "kind")]
    [InlineData("""{"name":"n","kind":"errorRate","webhookUrl":"http://x/h"}""", "threshold")]
    [InlineData("""{"name":"n","kind":"errorRate","threshold":150,"webhookUrl":"http://x/h"}""", "threshold")]
    [InlineData("""{"name":"n","kind":"p99Latency","threshold":-1,"webhookUrl":"http://x/h"}""", "threshold")]
    [InlineData("""{"name":"n","kind":"errorRate","threshold":5,"window":"20m","webhookUrl":"http://x/h"}""", "window")]
    [InlineData("""{"name":"n","kind":"qpsDrop","threshold":50,"window":"10m","webhookUrl":"http://x/h"}""", "window")]
    [InlineData("""{"name":"n","kind":"errorRate","threshold":5,"api":"list","webhookUrl":"http://x/h"}""", "api")]
    [InlineData("""{"name":"n","kind":"errorRate","threshold":5,"cooldown":"soon","webhookUrl":"http://x/h"}""", "cooldown")]
    [InlineData("""{"name":"n","kind":"errorRate","threshold":5,"for":"1m","webhookUrl":"http://x/h"}""", "for")]
    [InlineData("""{"name":"n","kind":"nodeUnhealthy","window":"1m","webhookUrl":"http://x/h"}""", "window")]
    [InlineData("""{"name":"n","kind":"errorRate","threshold":5,"webhookUrl":"ftp://x/h"}""", "webhookUrl")]
    [InlineData("""{"name":"n","kind":"errorRate","threshold":5}""", "webhookUrl")]
    public async Task Rules_BadInput_400NamesTheFieldAndStoresNothing(string body, string field)
    {
        var group = await Host.CreateGroupAsync();

        var problem = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/alert-rules", AdminHost.Json(body))).ReadProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        var list = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/alert-rules")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, list.GetArrayLength());
    }

    [Fact]
    public async Task Rules_SeveralBadFields_AllReported()
    {
        var group = await Host.CreateGroupAsync();
        var problem = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/alert-rules",
            AdminHost.Json("""{"kind":"errorRate","threshold":500,"webhookUrl":"nope"}"""))).ReadProblemAsync(HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("name", out _) && errors.TryGetProperty("threshold", out _) && errors.TryGetProperty("webhookUrl", out _),
            errors.ToString());
    }

    [Fact]
    public async Task Rules_UnknownGroupRuleOrAlert_404()
    {
        var group = await Host.CreateGroupAsync();
        await (await Host.Client.PostAsync("/api/v1/groups/no-such-group/alert-rules",
            AdminHost.Json("""{"name":"n","kind":"nodeUnhealthy","webhookUrl":"http://x/h"}"""))).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await Host.Client.PutAsync($"/api/v1/groups/{group}/alert-rules/r-nope",
            AdminHost.Json("""{"name":"n","kind":"nodeUnhealthy","webhookUrl":"http://x/h"}"""))).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/alerts/12345/ack", null)).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await Host.Client.GetAsync($"/api/v1/groups/{group}/alerts?state=open")).ReadProblemAsync(HttpStatusCode.BadRequest);
    }
}

public sealed class AlertRuleApiTestsSqlite(SqliteAdmin fixture) : AlertRuleApiTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class AlertRuleApiTestsPostgres(PostgresAdmin fixture) : AlertRuleApiTests(fixture), IClassFixture<PostgresAdmin>;
