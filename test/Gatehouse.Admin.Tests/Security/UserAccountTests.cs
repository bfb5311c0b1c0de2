using System.Net;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Admin.Tests.Security;

/// <summary>Logins, sessions, lockout, tokens, passwords and the audit trail of users, on each store.</summary>
public abstract class UserAccountTests(AdminFixture fixture)
{
    private AdminHost Host => fixture.Host;

    [Fact]
    public async Task Login_SetsAStrictHttpOnlySessionCookie_MeReadsIt_LogoutEndsIt()
    {
        var (name, password) = await Host.CreateUserAsync("viewer");
        var (response, cookie, body) = await Host.LoginAsync(name, password);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(cookie);
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie")).ToLowerInvariant();
        Assert.Contains("httponly", setCookie, StringComparison.Ordinal);
        Assert.Contains("samesite=strict", setCookie, StringComparison.Ordinal);
        Assert.DoesNotContain("secure", setCookie, StringComparison.Ordinal); // plain http here; https sets it
        var csrf = body.GetProperty("csrfToken").GetString()!;

        using (var me = new HttpRequestMessage(HttpMethod.Get, "/api/v1/auth/me").WithSession(cookie))
        {
            var who = await (await Host.Anonymous.SendAsync(me)).ReadJsonAsync(HttpStatusCode.OK);
            Assert.Equal(name, who.GetProperty("user").GetString());
            Assert.Equal("viewer", who.GetProperty("role").GetString());
            Assert.Equal("session", who.GetProperty("authenticatedBy").GetString());
            Assert.Equal(csrf, who.GetProperty("csrfToken").GetString());
        }

        using (var logout = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/logout").WithSession(cookie, csrf))
        {
            Assert.Equal(HttpStatusCode.NoContent, (await Host.Anonymous.SendAsync(logout)).StatusCode);
        }

        using var after = new HttpRequestMessage(HttpMethod.Get, "/api/v1/auth/me").WithSession(cookie);
        await (await Host.Anonymous.SendAsync(after)).ReadProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task SessionWrites_NeedTheCsrfHeader_BearerWritesDoNot()
    {
        var (name, password) = await Host.CreateUserAsync("operator");
        var (_, cookie, body) = await Host.LoginAsync(name, password);
        var csrf = body.GetProperty("csrfToken").GetString()!;
        var group = "g-" + Guid.NewGuid().ToString("N")[..10];

        foreach (var header in new[] { null, "wrong" })
        {
            using var forged = new HttpRequestMessage(HttpMethod.Post, "/api/v1/groups") { Content = AdminHost.Json($$"""{"name":"{{group}}"}""") }
                .WithSession(cookie!, header);
            var problem = await (await Host.Anonymous.SendAsync(forged)).ReadProblemAsync(HttpStatusCode.Forbidden);
            Assert.Contains("X-Gatehouse-Csrf", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (var read = new HttpRequestMessage(HttpMethod.Get, "/api/v1/groups").WithSession(cookie!))
        {
            await (await Host.Anonymous.SendAsync(read)).ReadJsonAsync(HttpStatusCode.OK);
        }

        using var real = new HttpRequestMessage(HttpMethod.Post, "/api/v1/groups") { Content = AdminHost.Json($$"""{"name":"{{group}}"}""") }
            .WithSession(cookie!, csrf);
        await (await Host.Anonymous.SendAsync(real)).ReadJsonAsync(HttpStatusCode.Created);

        // The write is recorded as the session's user.
        var rows = await AuditAsync($"entity={group}");
        Assert.Equal(name, Assert.Single(rows).GetProperty("actor").GetString());
    }

    [Fact]
    public async Task UnknownUserAndWrongPassword_GetTheSameAnswer()
    {
        var (name, _) = await Host.CreateUserAsync("viewer");
        var (wrong, wrongCookie, wrongBody) = await Host.LoginAsync(name, "not-the-password");
        var (unknown, unknownCookie, unknownBody) = await Host.LoginAsync("nobody-" + Guid.NewGuid().ToString("N")[..6], "not-the-password");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Null(wrongCookie);
        Assert.Null(unknownCookie);
        Assert.Equal(wrongBody.GetProperty("detail").GetString(), unknownBody.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Tokens_CreatedOnce_ListedByPrefix_RevokedTokenIs401()
    {
        var (name, _) = await Host.CreateUserAsync("operator");
        var created = await (await Host.Client.PostAsync($"/api/v1/users/{name}/tokens", AdminHost.Json("""{"name":"deploy"}""")))
            .ReadJsonAsync(HttpStatusCode.Created);
        var token = created.GetProperty("token").GetString()!;
        var id = created.GetProperty("id").GetString()!;
        using var client = Host.WithToken(token);
        await (await client.GetAsync("/api/v1/groups")).ReadJsonAsync(HttpStatusCode.OK);

        var list = await (await Host.Client.GetAsync($"/api/v1/users/{name}/tokens")).ReadJsonAsync(HttpStatusCode.OK);
        var row = Assert.Single(list.EnumerateArray());
        Assert.Equal("deploy", row.GetProperty("name").GetString());
        Assert.StartsWith(row.GetProperty("prefix").GetString()!, token, StringComparison.Ordinal);
        Assert.False(row.TryGetProperty("token", out _));
        Assert.Equal(JsonValueKind.String, row.GetProperty("lastUsedAt").ValueKind);
        Assert.DoesNotContain(token, list.GetRawText(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NoContent, (await Host.Client.DeleteAsync($"/api/v1/users/{name}/tokens/{id}")).StatusCode);
        await (await client.GetAsync("/api/v1/groups")).ReadProblemAsync(HttpStatusCode.Unauthorized);
        await (await Host.Client.DeleteAsync($"/api/v1/users/{name}/tokens/{id}")).ReadProblemAsync(HttpStatusCode.NotFound);

        // Own tokens through /auth/tokens: the same, without admin rights.
        using var own = Host.WithToken(await Host.CreateTokenAsync(name));
        var mine = await (await own.PostAsync("/api/v1/auth/tokens", AdminHost.Json("""{"name":"laptop"}"""))).ReadJsonAsync(HttpStatusCode.Created);
        var listed = await (await own.GetAsync("/api/v1/auth/tokens")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, listed.GetArrayLength());
        Assert.Equal(HttpStatusCode.NoContent,
            (await own.DeleteAsync($"/api/v1/auth/tokens/{mine.GetProperty("id").GetString()}")).StatusCode);
    }

    [Fact]
    public async Task PasswordChange_NeedsTheCurrentOne_ThenOnlyTheNewOneLogsIn()
    {
        var (name, password) = await Host.CreateUserAsync("viewer");
        using var client = Host.WithToken(await Host.CreateTokenAsync(name));
        await (await client.PutAsync("/api/v1/auth/password", AdminHost.Json("""{"currentPassword":"wrong-one","newPassword":"brand-new-pass"}""")))
            .ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PutAsync("/api/v1/auth/password", AdminHost.Json($$"""{"currentPassword":"{{password}}","newPassword":"short"}""")))
            .ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PutAsync("/api/v1/auth/password",
            AdminHost.Json($$"""{"currentPassword":"{{password}}","newPassword":"brand-new-pass"}"""))).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await Host.LoginAsync(name, password)).Response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Host.LoginAsync(name, "brand-new-pass")).Response.StatusCode);

        // An admin may set it without knowing the old one.
        Assert.Equal(HttpStatusCode.NoContent, (await Host.Client.PutAsync($"/api/v1/users/{name}/password",
            AdminHost.Json("""{"newPassword":"set-by-admin"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Host.LoginAsync(name, "set-by-admin")).Response.StatusCode);

        var rows = await AuditAsync($"entity={name}");
        Assert.Contains(rows, r => r.GetProperty("action").GetString() == "user.password" && r.GetProperty("actor").GetString() == name);
        Assert.DoesNotContain(rows, r => r.GetRawText().Contains("brand-new-pass", StringComparison.Ordinal)
            || r.GetRawText().Contains("set-by-admin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UserManagement_IsAudited_AsTheAdmin_WithoutSecrets()
    {
        var (name, password) = await Host.CreateUserAsync("viewer");
        await (await Host.Client.PatchAsync($"/api/v1/users/{name}", AdminHost.Json("""{"role":"operator"}"""))).ReadJsonAsync(HttpStatusCode.OK);
        var token = await Host.CreateTokenAsync(name);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.Client.DeleteAsync($"/api/v1/users/{name}")).StatusCode);
        using var client = Host.WithToken(token);
        await (await client.GetAsync("/api/v1/groups")).ReadProblemAsync(HttpStatusCode.Unauthorized);

        var rows = (await AuditAsync($"entity={name}")).Reverse().ToList();
        Assert.Equal(["user.create", "user.update", "token.create", "user.delete"], rows.Select(r => r.GetProperty("action").GetString()));
        Assert.All(rows, r => Assert.Equal("admin", r.GetProperty("actor").GetString()));
        Assert.All(rows, r => Assert.Equal("user", r.GetProperty("entityKind").GetString()));
        Assert.All(rows, r => Assert.DoesNotContain(password, r.GetRawText(), StringComparison.Ordinal));
        Assert.All(rows, r => Assert.DoesNotContain(token, r.GetRawText(), StringComparison.Ordinal));
        Assert.All(rows, r => Assert.DoesNotContain("AQAAAA", r.GetRawText(), StringComparison.Ordinal)); // no password hash either
    }

    [Fact]
    public async Task TheLastEnabledAdmin_CannotBeDemotedDisabledOrDeleted()
    {
        await using var admin = await fixture.StartAdminAsync();
        await (await admin.Client.PatchAsync("/api/v1/users/admin", AdminHost.Json("""{"role":"viewer"}"""))).ReadProblemAsync(HttpStatusCode.Conflict);
        await (await admin.Client.PatchAsync("/api/v1/users/admin", AdminHost.Json("""{"disabled":true}"""))).ReadProblemAsync(HttpStatusCode.Conflict);
        await (await admin.Client.DeleteAsync("/api/v1/users/admin")).ReadProblemAsync(HttpStatusCode.Conflict);

        // With a second admin the first can step down, and its (configured) token then carries the lower role.
        await admin.CreateUserAsync("admin");
        await (await admin.Client.PatchAsync("/api/v1/users/admin", AdminHost.Json("""{"role":"viewer"}"""))).ReadJsonAsync(HttpStatusCode.OK);
        await (await admin.Client.PostAsync("/api/v1/groups", AdminHost.Json("""{"name":"nope"}"""))).ReadProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Lockout_AfterFiveFailures_RefusesEvenTheRightPassword_UntilItExpiresOrAnAdminUnlocks()
    {
        var clock = new ManualClock();
        await using var admin = await fixture.StartAdminAsync(builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Gatehouse:Admin:BootstrapPassword"] = "bootstrap-pass" });
            builder.Services.AddSingleton<TimeProvider>(clock);
        });
        Assert.Equal(HttpStatusCode.OK, (await admin.LoginAsync("admin", "bootstrap-pass")).Response.StatusCode);
        var (name, password) = await admin.CreateUserAsync("operator");

        // Four failures, then a success: the count starts over.
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await admin.LoginAsync(name, "wrong-password")).Response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await admin.LoginAsync(name, password)).Response.StatusCode);
        await LockAsync(admin, name);
        var (locked, _, lockedBody) = await admin.LoginAsync(name, password);
        var (_, _, wrongBody) = await admin.LoginAsync(name, "wrong-password");
        Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode);
        Assert.Equal(wrongBody.GetProperty("detail").GetString(), lockedBody.GetProperty("detail").GetString());
        var user = await (await admin.Client.GetAsync($"/api/v1/users/{name}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.True(user.GetProperty("locked").GetBoolean());

        clock.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.LoginAsync(name, password)).Response.StatusCode);
        clock.Advance(TimeSpan.FromMinutes(1.5));
        Assert.Equal(HttpStatusCode.OK, (await admin.LoginAsync(name, password)).Response.StatusCode);

        // Locked again; an admin unlocks before the time is up.
        await LockAsync(admin, name);
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.LoginAsync(name, password)).Response.StatusCode);
        var unlocked = await (await admin.Client.PostAsync($"/api/v1/users/{name}/unlock", null)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False(unlocked.GetProperty("locked").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await admin.LoginAsync(name, password)).Response.StatusCode);
        Assert.Contains(admin.Logs.Messages, m => m.Contains($"User '{name}' locked out", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DisabledUser_CannotLogIn_AndItsTokensStopWorking()
    {
        var (name, password) = await Host.CreateUserAsync("viewer");
        using var client = Host.WithToken(await Host.CreateTokenAsync(name));
        await (await Host.Client.PatchAsync($"/api/v1/users/{name}", AdminHost.Json("""{"disabled":true}"""))).ReadJsonAsync(HttpStatusCode.OK);
        await (await client.GetAsync("/api/v1/groups")).ReadProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Host.LoginAsync(name, password)).Response.StatusCode);
    }

    private static async Task LockAsync(AdminHost admin, string name)
    {
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await admin.LoginAsync(name, "wrong-password")).Response.StatusCode);
        }
    }

    private async Task<JsonElement[]> AuditAsync(string query)
    {
        var page = await (await Host.Client.GetAsync($"/api/v1/audit?{query}&limit=100")).ReadJsonAsync(HttpStatusCode.OK);
        return page.GetProperty("items").EnumerateArray().ToArray();
    }
}

public sealed class UserAccountTestsSqlite(SqliteAdmin fixture) : UserAccountTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class UserAccountTestsPostgres(PostgresAdmin fixture) : UserAccountTests(fixture), IClassFixture<PostgresAdmin>;
