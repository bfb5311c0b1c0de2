using System.Net;
using System.Text;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Admin.Tests.Security;
using Gatehouse.Core.Config;

namespace Gatehouse.Admin.Tests.Api;

/// <summary><c>POST /groups/{g}/import?dryRun=true</c>: the import's checks, the diff against the current version, nothing written.</summary>
public abstract class ImportDryRunTests(AdminFixture store) : IAsyncLifetime
{
    private const string Base = """
        services:
          - name: orders
            nodes:
              - address: http://127.0.0.1:5101
                weight: 10
              - address: http://127.0.0.1:5102
            apis:
              - id: get-order
                path: /orders/{id}
              - id: list-orders
                path: /orders
        """;

    private AdminHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await store.StartAdminAsync();
        await (await _host.Client.PostAsync("/api/v1/groups", AdminHost.Json("""{"name":"default"}"""))).ReadJsonAsync(HttpStatusCode.Created);
        await (await _host.Client.PostAsync("/api/v1/groups/default/import", Yaml(Base))).ReadJsonAsync(HttpStatusCode.OK);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task DryRun_ValidFile_AnswersTheDiff_AndPublishesNothing()
    {
        var (versions, audit) = (await _host.VersionCountAsync("default"), await AuditCountAsync());
        const string changed = """
            global:
              timeouts:
                connectMs: 1500
            services:
              - name: orders
                nodes:
                  - address: http://127.0.0.1:5101
                    weight: 20
                  - address: http://127.0.0.1:5102
                apis:
                  - id: list-orders
                    path: /orders
              - name: users
                nodes:
                  - address: http://127.0.0.1:5201
            """;

        var diff = await (await _host.Client.PostAsync("/api/v1/groups/default/import?dryRun=true", Yaml(changed))).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(2, diff.GetProperty("currentVersion").GetInt64());
        var changes = diff.GetProperty("changes").EnumerateArray().ToList();
        Assert.Equal(4, changes.Count);
        var policy = Single(changes, "policy", "global");
        Assert.Equal("added", policy.GetProperty("change").GetString());
        Assert.Equal(1500, policy.GetProperty("value").GetProperty("timeouts").GetProperty("connectMs").GetInt32());
        var node = Single(changes, "node", "127.0.0.1:5101");
        Assert.Equal(("changed", "orders", "services[orders].nodes[127.0.0.1:5101]"),
            (node.GetProperty("change").GetString(), node.GetProperty("service").GetString(), node.GetProperty("entry").GetString()));
        var field = Assert.Single(node.GetProperty("fields").EnumerateArray());
        Assert.Equal(("weight", 10, 20), (field.GetProperty("path").GetString(), field.GetProperty("from").GetInt32(), field.GetProperty("to").GetInt32()));
        Assert.Equal("removed", Single(changes, "api", "get-order").GetProperty("change").GetString());
        Assert.Equal("added", Single(changes, "service", "users").GetProperty("change").GetString());
        Assert.Equal("""{"added":2,"removed":1,"changed":1}""", diff.GetProperty("summary").GetRawText());

        Assert.Equal(versions, await _host.VersionCountAsync("default"));
        Assert.Equal(audit, await AuditCountAsync());
        var export = await (await _host.Client.GetAsync("/api/v1/groups/default/export")).Content.ReadAsStringAsync();
        Assert.Equal(10, ConfigSerializer.Deserialize(export, "export").Services[0].Nodes[0].Weight);

        // The admin still writes normally after a dry run on the same store (nothing of it lingers).
        var real = await (await _host.Client.PostAsync("/api/v1/groups/default/import", Yaml(changed))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(3, real.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task DryRun_NoChange_EmptyDiff()
    {
        var diff = await (await _host.Client.PostAsync("/api/v1/groups/default/import?dryRun=true", Yaml(Base))).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Empty(diff.GetProperty("changes").EnumerateArray());
        Assert.Equal("""{"added":0,"removed":0,"changed":0}""", diff.GetProperty("summary").GetRawText());
        Assert.Equal(2, diff.GetProperty("currentVersion").GetInt64());
    }

    [Theory]
    [InlineData("application/yaml", """
        services:
          - name: orders
            nodes:
              - address: ftp://nope
                weight: abc
        """)]
    [InlineData("application/json", """{"group":"other"}""")]
    [InlineData("application/json", """{"services":[{"name":"a","nodes":[{"address":"http://x:1"}]},{"name":"A"}]}""")]
    public async Task DryRun_Invalid_SameProblemAsARealImport_AndNothingWritten(string contentType, string body)
    {
        var (versions, audit) = (await _host.VersionCountAsync("default"), await AuditCountAsync());

        var dry = await _host.Client.PostAsync("/api/v1/groups/default/import?dryRun=true", new StringContent(body, Encoding.UTF8, contentType));
        var real = await _host.Client.PostAsync("/api/v1/groups/default/import", new StringContent(body, Encoding.UTF8, contentType));

        var dryProblem = await dry.ReadProblemAsync(HttpStatusCode.BadRequest);
        var realProblem = await real.ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(realProblem.GetProperty("errors").GetRawText(), dryProblem.GetProperty("errors").GetRawText());
        Assert.NotEmpty(dryProblem.GetProperty("errors").EnumerateObject());
        Assert.Equal(versions, await _host.VersionCountAsync("default"));
        Assert.Equal(audit, await AuditCountAsync());
    }

    [Fact]
    public async Task DryRun_UnknownGroup_404LikeImport()
    {
        await (await _host.Client.PostAsync("/api/v1/groups/nope/import?dryRun=true", Yaml(Base))).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DryRun_WithoutCredentials_401()
    {
        var response = await _host.Anonymous.PostAsync("/api/v1/groups/default/import?dryRun=true", Yaml(Base));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task DryRun_Viewer_403AsForAnImport()
    {
        var (viewer, _) = await _host.ClientForRoleAsync("viewer");
        using var client = viewer;

        await (await client.PostAsync("/api/v1/groups/default/import?dryRun=true", Yaml(Base))).ReadProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task DryRun_ChangedAppSecret_ShownOnlyAsRedacted()
    {
        const string oldSecret = "old-secret-of-the-billing-app-0001";
        const string newSecret = "new-secret-of-the-billing-app-0002";
        var put = await _host.Client.PutAsync("/api/v1/groups/default/apps/billing",
            AdminHost.Json($$"""{"secret":"{{oldSecret}}","permissions":["orders"]}"""));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var exported = ConfigSerializer.Deserialize(await (await _host.Client.GetAsync("/api/v1/groups/default/export")).Content.ReadAsStringAsync(), "export");

        // The export as it is (secret sealed): no change. The same app with a new plaintext secret: a redacted change.
        var same = await (await _host.Client.PostAsync("/api/v1/groups/default/import?dryRun=true",
            AdminHost.Json(ConfigSerializer.Serialize(exported)))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Empty(same.GetProperty("changes").EnumerateArray());

        var rotated = exported with { Apps = [exported.Apps![0] with { Secret = newSecret }] };
        var response = await _host.Client.PostAsync("/api/v1/groups/default/import?dryRun=true", AdminHost.Json(ConfigSerializer.Serialize(rotated)));
        var text = await response.Content.ReadAsStringAsync();
        var diff = await response.ReadJsonAsync(HttpStatusCode.OK);

        var app = Single(diff.GetProperty("changes").EnumerateArray().ToList(), "app", "billing");
        var field = Assert.Single(app.GetProperty("fields").EnumerateArray());
        Assert.Equal("""{"path":"secret","from":"(secret)","to":"(secret)","redacted":true}""", field.GetRawText());
        Assert.DoesNotContain(newSecret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(oldSecret, text, StringComparison.Ordinal);
        Assert.DoesNotContain("enc:v1:", text, StringComparison.Ordinal);
    }

    private static StringContent Yaml(string text) => new(text, Encoding.UTF8, "application/yaml");

    private static JsonElement Single(List<JsonElement> changes, string kind, string id) =>
        Assert.Single(changes, c => c.GetProperty("kind").GetString() == kind && c.GetProperty("id").GetString() == id);

    private async Task<long> AuditCountAsync() =>
        (await (await _host.Client.GetAsync("/api/v1/audit?group=default")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("total").GetInt64();
}

public sealed class ImportDryRunTestsSqlite(SqliteAdmin fixture) : ImportDryRunTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class ImportDryRunTestsPostgres(PostgresAdmin fixture) : ImportDryRunTests(fixture), IClassFixture<PostgresAdmin>;
