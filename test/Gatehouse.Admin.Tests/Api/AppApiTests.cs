using System.Data.Common;
using System.Net;
using System.Text;
using System.Text.Json;
using Gatehouse.Admin.Storage;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Core.Config;
using Gatehouse.Core.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Admin.Tests.Api;

/// <summary>Apps under <c>/groups/{g}/apps</c>: CRUD, the write-only secret, and the secret never stored or published in plaintext.</summary>
public abstract class AppApiTests(AdminFixture fixture)
{
    private const string SecretA = "first-secret-of-app-a-0123";
    private const string SecretB = "second-secret-of-app-a-4567";

    private AdminHost Host => fixture.Host;

    [Fact]
    public async Task App_PutGetReplaceDelete_SecretIsWriteOnlyAndKeptWhenLeftOut()
    {
        var group = await GroupWithServiceAsync();
        var created = await PutAsync(group, "app-a", $$"""{"secret":"{{SecretA}}","permissions":["orders"],"description":"billing job"}""",
            null, HttpStatusCode.Created);
        Assert.Equal(1, created.GetProperty("revision").GetInt64());
        Assert.True(created.GetProperty("secretSet").GetBoolean());
        Assert.False(created.TryGetProperty("secret", out _));

        var got = await Host.Client.GetAsync($"/api/v1/groups/{group}/apps/app-a");
        Assert.Equal("\"1\"", got.Headers.ETag?.ToString());
        var gotText = await got.Content.ReadAsStringAsync();
        Assert.DoesNotContain(SecretA, gotText, StringComparison.Ordinal);
        Assert.Equal("billing job", JsonDocument.Parse(gotText).RootElement.GetProperty("description").GetString());

        // No secret in the body: the stored one stays, and the gateways still get it.
        var replaced = await PutAsync(group, "app-a", """{"permissions":["orders:list"]}""", 1, HttpStatusCode.OK);
        Assert.Equal(2, replaced.GetProperty("revision").GetInt64());
        Assert.True(replaced.GetProperty("secretSet").GetBoolean());
        Assert.Equal("orders:list", replaced.GetProperty("permissions")[0].GetString());
        Assert.Equal(SecretA, await PublishedSecretAsync(group, "app-a"));

        var rotated = await PutAsync(group, "app-a", $$"""{"secret":"{{SecretB}}","permissions":["orders"]}""", 2, HttpStatusCode.OK);
        Assert.True(rotated.GetProperty("secretSet").GetBoolean());
        Assert.Equal(SecretB, await PublishedSecretAsync(group, "app-a"));

        // The version diff names the app; its secret shows only sealed.
        var latestVersion = await Host.VersionCountAsync(group);
        var diffResponse = await Host.Client.GetAsync($"/api/v1/groups/{group}/versions/{latestVersion - 1}/diff/{latestVersion}");
        var diffText = await diffResponse.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, diffResponse.StatusCode);
        var change = Assert.Single(JsonDocument.Parse(diffText).RootElement.GetProperty("changes").EnumerateArray());
        Assert.Equal(("apps[app-a]", "changed"), (change.GetProperty("entry").GetString(), change.GetProperty("change").GetString()));
        Assert.DoesNotContain(SecretA, diffText, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretB, diffText, StringComparison.Ordinal);

        var toRef = await PutAsync(group, "app-a", """{"secretRef":"APP_A_SECRET","permissions":["orders"]}""", 3, HttpStatusCode.OK);
        Assert.False(toRef.GetProperty("secretSet").GetBoolean());
        Assert.Equal("APP_A_SECRET", toRef.GetProperty("secretRef").GetString());

        var list = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/apps?limit=10")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, list.GetProperty("total").GetInt32());
        Assert.Equal("app-a", list.GetProperty("items")[0].GetProperty("appKey").GetString());

        var delete = new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/groups/{group}/apps/app-a").WithRevision(4);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.Client.SendAsync(delete)).StatusCode);
        await (await Host.Client.GetAsync($"/api/v1/groups/{group}/apps/app-a")).ReadProblemAsync(HttpStatusCode.NotFound);
        var latest = await LatestSnapshotAsync(group);
        Assert.False(latest.TryGetProperty("apps", out _), latest.ToString());
    }

    [Fact]
    public async Task InvalidWrites_NameTheField_AndPublishNothing()
    {
        var group = await GroupWithServiceAsync();
        var versions = await Host.VersionCountAsync(group);

        Assert.Contains("apps[app-a].secret", await ErrorKeysAsync(group, "app-a", """{"secret":"short","permissions":["orders"]}"""));
        Assert.Contains("apps[app-a].permissions[0]", await ErrorKeysAsync(group, "app-a", $$"""{"secret":"{{SecretA}}","permissions":["nope"]}"""));
        Assert.Contains("apps[app-a].secretRef", await ErrorKeysAsync(group, "app-a", """{"secretRef":"not a name","permissions":["orders"]}"""));
        Assert.Contains("apps[app-a].colour", await ErrorKeysAsync(group, "app-a", $$"""{"appKey":"app-a","secret":"{{SecretA}}","colour":"red"}"""));
        Assert.Contains("appKey", await ErrorKeysAsync(group, "app-a", $$"""{"appKey":"app-b","secret":"{{SecretA}}"}"""));
        Assert.Equal(versions, await Host.VersionCountAsync(group));

        await PutAsync(group, "app-a", $$"""{"secret":"{{SecretA}}","permissions":["orders"]}""", null, HttpStatusCode.Created);
        await PutProblemAsync(group, "app-a", """{"permissions":[]}""", null, HttpStatusCode.PreconditionRequired);
        await PutProblemAsync(group, "app-a", """{"permissions":[]}""", 7, HttpStatusCode.Conflict);
        await PutProblemAsync(group, "app-new", """{"permissions":[]}""", 1, HttpStatusCode.NotFound);
        Assert.Contains("apps[App-A].appKey", await ErrorKeysAsync(group, "App-A", $$"""{"secret":"{{SecretA}}"}"""));
        await (await Host.Client.GetAsync($"/api/v1/groups/nope-{Guid.NewGuid():N}/apps")).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Secret_NeverInResponsesAuditLogOrAnyStoredRow()
    {
        var group = await GroupWithServiceAsync();
        await PutAsync(group, "app-a", $$"""{"secret":"{{SecretA}}","permissions":["orders"]}""", null, HttpStatusCode.Created);
        await PutAsync(group, "app-a", $$"""{"secret":"{{SecretB}}","permissions":["orders"]}""", 1, HttpStatusCode.OK);
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("billing", path: "/billing"))))
            .ReadJsonAsync(HttpStatusCode.Created);

        var audit = await (await Host.Client.GetAsync($"/api/v1/audit?group={group}&limit=500")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(SecretA, audit, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretB, audit, StringComparison.Ordinal);
        var rows = JsonDocument.Parse(audit).RootElement.GetProperty("items").EnumerateArray()
            .Where(r => r.GetProperty("entityKind").GetString() == "app").Reverse().ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal("admin", rows[0].GetProperty("actor").GetString());
        Assert.Equal(JsonValueKind.Null, rows[0].GetProperty("before").ValueKind);
        Assert.True(rows[0].GetProperty("after").GetProperty("secretSet").GetBoolean());
        Assert.False(rows[1].GetProperty("after").TryGetProperty("secret", out _));
        Assert.Contains("new secret", rows[1].GetProperty("summary").GetString(), StringComparison.Ordinal);

        var export = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/export")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(SecretB, export, StringComparison.Ordinal);
        Assert.Contains(SecretEnvelope.Prefix, export, StringComparison.Ordinal);

        // The rows themselves, read past the API: the app row holds only cipher text, and no table holds either secret.
        var appRows = await QueryAsync($"SELECT secret_cipher, json FROM apps WHERE group_name = '{group}'");
        Assert.Single(appRows);
        Assert.StartsWith(SecretEnvelope.Prefix, appRows[0][0], StringComparison.Ordinal);
        foreach (var table in new[] { "apps", "config_versions", "audit_log" })
        {
            var text = string.Join("\n", (await QueryAsync($"SELECT * FROM {table}")).SelectMany(r => r));
            Assert.DoesNotContain(SecretA, text, StringComparison.Ordinal);
            Assert.DoesNotContain(SecretB, text, StringComparison.Ordinal);
        }

        Assert.Contains(SecretEnvelope.Prefix, string.Join("\n", (await QueryAsync(
            $"SELECT snapshot FROM config_versions WHERE group_name = '{group}'")).SelectMany(r => r)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnchangedSecret_PublishesTheSameSealedValue()
    {
        var group = await GroupWithServiceAsync();
        await PutAsync(group, "app-a", $$"""{"secret":"{{SecretA}}","permissions":["orders"]}""", null, HttpStatusCode.Created);
        var first = (await LatestSnapshotAsync(group)).GetProperty("apps").ToString();

        await PutAsync(group, "app-a", $$"""{"secret":"{{SecretA}}","permissions":["orders"]}""", 1, HttpStatusCode.OK);
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("billing", path: "/billing"))))
            .ReadJsonAsync(HttpStatusCode.Created);

        // Stored under a fresh random nonce each time, but published the same: the snapshot only changes when the secret does.
        Assert.Equal(first, (await LatestSnapshotAsync(group)).GetProperty("apps").ToString());
    }

    [Fact]
    public async Task Rollback_RestoresADeletedAppWithItsSecret()
    {
        var group = await GroupWithServiceAsync();
        await PutAsync(group, "app-a", $$"""{"secret":"{{SecretA}}","permissions":["orders"]}""", null, HttpStatusCode.Created);
        var withApp = await Host.VersionCountAsync(group);
        var delete = new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/groups/{group}/apps/app-a").WithRevision(1);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.Client.SendAsync(delete)).StatusCode);

        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/versions/{withApp}/rollback", null)).ReadJsonAsync(HttpStatusCode.OK);

        var app = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/apps/app-a")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.True(app.GetProperty("secretSet").GetBoolean());
        Assert.Equal(SecretA, await PublishedSecretAsync(group, "app-a"));
    }

    [Fact]
    public async Task ImportPlainSecrets_ExportSealed_ReimportRoundTripsToTheSameChecksum()
    {
        var group = await Host.CreateGroupAsync();
        var yaml = $$"""
            services:
              - name: orders
                nodes: [ { id: o1, address: "http://127.0.0.1:5101" } ]
                apis: [ { id: list, path: /orders } ]
            apps:
              - { appKey: app-a, secret: "{{SecretA}}", permissions: [orders] }
              - { appKey: app-r, secretRef: APP_R_SECRET, permissions: ["orders:list"], enabled: false }
            """;
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/import", new StringContent(yaml, Encoding.UTF8, "application/yaml")))
            .ReadJsonAsync(HttpStatusCode.OK);

        var list = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/apps")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["app-a", "app-r"], list.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("appKey").GetString()));
        Assert.True(list.GetProperty("items")[0].GetProperty("secretSet").GetBoolean());
        Assert.Equal("APP_R_SECRET", list.GetProperty("items")[1].GetProperty("secretRef").GetString());

        var export = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/export")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(SecretA, export, StringComparison.Ordinal);
        var exported = ConfigLoader.Parse(export, "export.json", ConfigFormat.Json);
        Assert.StartsWith(SecretEnvelope.Prefix, exported.Apps![0].Secret, StringComparison.Ordinal);

        // The sealed export imports again (into the same or another group of an admin with this control secret) unchanged.
        var again = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/import", AdminHost.Json(export))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(ConfigChecksum.Compute(exported with { Version = again.GetProperty("version").GetInt64() }),
            again.GetProperty("checksum").GetString());
        var other = await Host.CreateGroupAsync();
        await (await Host.Client.PostAsync($"/api/v1/groups/{other}/import", AdminHost.Json(export.Replace($"\"group\": \"{group}\"", $"\"group\": \"{other}\"", StringComparison.Ordinal))))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(SecretA, await PublishedSecretAsync(other, "app-a"));
    }

    [Fact]
    public async Task Import_SecretSealedUnderAnotherControlSecret_Is400NamingTheField()
    {
        var group = await GroupWithServiceAsync();
        var versions = await Host.VersionCountAsync(group);
        var foreign = new AppSecretTransport("some-other-control-secret").Seal("app-a", SecretA);
        var document = $$"""
            {"services":[{{Http.Service("orders")}}],
             "apps":[{"appKey":"app-a","secret":"{{foreign}}","permissions":["orders"]}]}
            """;

        var problem = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/import", AdminHost.Json(document)))
            .ReadProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("apps[app-a].secret", out _), problem.ToString());
        Assert.Equal(versions, await Host.VersionCountAsync(group));
    }

    [Fact]
    public async Task RotateSecret_AnswersANewSecretOnce_PublishesIt_AndAuditsWithoutIt()
    {
        var group = await GroupWithServiceAsync();
        await PutAsync(group, "app-a", $$"""{"secret":"{{SecretA}}","permissions":["orders"]}""", null, HttpStatusCode.Created);
        var versions = await Host.VersionCountAsync(group);

        var rotated = await (await Host.Client.PostAsync($"/api/v1/groups/{group}/apps/app-a/rotate-secret", null))
            .ReadJsonAsync(HttpStatusCode.OK);
        var secret = rotated.GetProperty("secret").GetString()!;
        Assert.Equal(2, rotated.GetProperty("revision").GetInt64());
        Assert.True(secret.Length >= 40, secret);
        Assert.NotEqual(SecretA, secret);
        Assert.Equal(secret, await PublishedSecretAsync(group, "app-a"));
        Assert.Equal(versions + 1, await Host.VersionCountAsync(group));

        // Shown once: neither the app nor its audit row carries it, and no stored row holds it in plaintext.
        var got = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/apps/app-a")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, got, StringComparison.Ordinal);
        var audit = await (await Host.Client.GetAsync($"/api/v1/audit?group={group}&entity=app-a&limit=10")).ReadJsonAsync(HttpStatusCode.OK);
        var row = audit.GetProperty("items")[0];
        Assert.Equal("app.rotateSecret", row.GetProperty("action").GetString());
        Assert.Equal("app-a", row.GetProperty("entityId").GetString());
        Assert.DoesNotContain(secret, audit.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(await QueryAsync("SELECT secret_cipher FROM apps"), r => r[0].Contains(secret, StringComparison.Ordinal));

        // A quoted revision must be current; an unknown app is a 404; a secretRef app keeps its secret where it lives.
        var stale = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/groups/{group}/apps/app-a/rotate-secret").WithRevision(1);
        await (await Host.Client.SendAsync(stale)).ReadProblemAsync(HttpStatusCode.Conflict);
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/apps/nope/rotate-secret", null)).ReadProblemAsync(HttpStatusCode.NotFound);
        await PutAsync(group, "app-ref", """{"secretRef":"APP_REF_SECRET","permissions":["orders"]}""", null, HttpStatusCode.Created);
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/apps/app-ref/rotate-secret", null)).ReadProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Create_WithoutSecret_GeneratesOne_AnsweredOnlyInThe201()
    {
        var group = await GroupWithServiceAsync();
        var created = await (await Host.Client.PutAsync($"/api/v1/groups/{group}/apps/app-gen", AdminHost.Json("""{"permissions":["orders"]}""")))
            .ReadJsonAsync(HttpStatusCode.Created);
        var secret = created.GetProperty("secret").GetString()!;
        Assert.True(secret.Length >= 40, secret);
        Assert.True(created.GetProperty("secretSet").GetBoolean());
        Assert.Equal(secret, await PublishedSecretAsync(group, "app-gen"));

        var got = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/apps/app-gen")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, got, StringComparison.Ordinal);
        var audit = await (await Host.Client.GetAsync($"/api/v1/audit?group={group}&entity=app-gen&limit=10")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, audit, StringComparison.Ordinal);

        // A replace that names no secret keeps the generated one and answers none.
        var replaced = await (await Host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/apps/app-gen")
        {
            Content = AdminHost.Json("""{"permissions":["orders"],"description":"d"}"""),
        }.WithRevision(1))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False(replaced.TryGetProperty("secret", out _));
        Assert.Equal(secret, await PublishedSecretAsync(group, "app-gen"));
    }

    private async Task<string> GroupWithServiceAsync()
    {
        var group = await Host.CreateGroupAsync();
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        return group;
    }

    private async Task<JsonElement> PutAsync(string group, string appKey, string body, long? revision, HttpStatusCode expected)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/apps/{appKey}") { Content = AdminHost.Json(body) };
        if (revision is { } r)
        {
            request.WithRevision(r);
        }

        return await (await Host.Client.SendAsync(request)).ReadJsonAsync(expected);
    }

    private async Task<JsonElement> PutProblemAsync(string group, string appKey, string body, long? revision, HttpStatusCode expected)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/apps/{appKey}") { Content = AdminHost.Json(body) };
        if (revision is { } r)
        {
            request.WithRevision(r);
        }

        return await (await Host.Client.SendAsync(request)).ReadProblemAsync(expected);
    }

    private async Task<IReadOnlyList<string>> ErrorKeysAsync(string group, string appKey, string body)
    {
        var problem = await PutProblemAsync(group, appKey, body, null, HttpStatusCode.BadRequest);
        return problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToList();
    }

    private async Task<JsonElement> LatestSnapshotAsync(string group)
    {
        var versions = await Host.VersionCountAsync(group);
        var document = await (await Host.Client.GetAsync($"/api/v1/groups/{group}/versions/{versions}")).ReadJsonAsync(HttpStatusCode.OK);
        return document.GetProperty("config");
    }

    /// <summary>The secret a gateway with the same control secret gets for <paramref name="appKey"/> from the latest version.</summary>
    private async Task<string> PublishedSecretAsync(string group, string appKey)
    {
        var app = (await LatestSnapshotAsync(group)).GetProperty("apps").EnumerateArray().Single(a => a.GetProperty("appKey").GetString() == appKey);
        var sealedSecret = app.GetProperty("secret").GetString()!;
        Assert.StartsWith(SecretEnvelope.Prefix, sealedSecret, StringComparison.Ordinal);
        Assert.True(new AppSecretTransport(AdminHost.Secret).TryOpen(appKey, sealedSecret, out var secret));
        return secret;
    }

    /// <summary>Every row of <paramref name="sql"/>, each column as text, read straight from the admin's database (SQLite or PostgreSQL).</summary>
    private async Task<List<string[]>> QueryAsync(string sql)
    {
        using var scope = Host.GetService<IServiceScopeFactory>().CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AdminDbContext>();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<string[]>();
            while (await reader.ReadAsync())
            {
                rows.Add(Enumerable.Range(0, reader.FieldCount)
                    .Select(i => reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture) ?? "").ToArray());
            }

            return rows;
        }
        finally
        {
            await connection.CloseAsync();
        }
    }
}

public sealed class AppApiTestsSqlite(SqliteAdmin fixture) : AppApiTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class AppApiTestsPostgres(PostgresAdmin fixture) : AppApiTests(fixture), IClassFixture<PostgresAdmin>;
