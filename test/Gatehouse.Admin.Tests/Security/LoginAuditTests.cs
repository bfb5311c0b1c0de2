using System.Net;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;

namespace Gatehouse.Admin.Tests.Security;

/// <summary>Every console login attempt leaves an audit row naming the user and the client address, never the password.</summary>
public abstract class LoginAuditTests(AdminFixture fixture)
{
    private AdminHost Host => fixture.Host;

    [Fact]
    public async Task LoginSuccessAndFailure_AreAudited_WithUserAndIp_WithoutPassword()
    {
        var (name, password) = await Host.CreateUserAsync("viewer");
        const string wrong = "wrong-password-7f3a9c";
        Assert.Equal(HttpStatusCode.Unauthorized, (await Host.LoginAsync(name, wrong)).Response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Host.LoginAsync(name, password)).Response.StatusCode);

        var (text, rows) = await LoginRowsAsync(name);
        Assert.Equal(["login.failure", "login.success"], rows.Select(r => r.GetProperty("action").GetString()));
        Assert.All(rows, r =>
        {
            Assert.Equal(name, r.GetProperty("actor").GetString());
            Assert.Equal("login", r.GetProperty("entityKind").GetString());
            Assert.Equal("", r.GetProperty("group").GetString());
            Assert.Equal("127.0.0.1", r.GetProperty("after").GetProperty("ip").GetString());
        });
        Assert.Equal("wrong password", rows[0].GetProperty("after").GetProperty("reason").GetString());
        Assert.DoesNotContain(wrong, text, StringComparison.Ordinal);
        Assert.DoesNotContain(password, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownUserAndLockout_AreAudited()
    {
        var unknown = "nobody-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(HttpStatusCode.Unauthorized, (await Host.LoginAsync(unknown, "whatever-password")).Response.StatusCode);
        var (_, unknownRows) = await LoginRowsAsync(unknown);
        Assert.Equal("login.failure", Assert.Single(unknownRows).GetProperty("action").GetString());
        Assert.Equal("unknown user", unknownRows[0].GetProperty("after").GetProperty("reason").GetString());

        // The default threshold is 5 failures; the fifth locks, the next attempt (even with the right password) is refused.
        var (name, password) = await Host.CreateUserAsync("viewer");
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await Host.LoginAsync(name, "wrong-password")).Response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await Host.LoginAsync(name, password)).Response.StatusCode);
        var (_, rows) = await LoginRowsAsync(name);
        Assert.Equal(["login.failure", "login.failure", "login.failure", "login.failure", "login.lockout", "login.refused"],
            rows.Select(r => r.GetProperty("action").GetString()));
        Assert.Equal("locked", rows[^1].GetProperty("after").GetProperty("reason").GetString());
    }

    /// <summary>The login rows of <paramref name="user"/>, oldest first, and the raw audit response text.</summary>
    private async Task<(string Text, List<JsonElement> Rows)> LoginRowsAsync(string user)
    {
        var response = await Host.Client.GetAsync($"/api/v1/audit?entity={user}&limit=500");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rows = JsonDocument.Parse(text).RootElement.GetProperty("items").EnumerateArray()
            .Where(r => r.GetProperty("entityKind").GetString() == "login").Reverse().Select(r => r.Clone()).ToList();
        return (text, rows);
    }
}

public sealed class LoginAuditTestsSqlite(SqliteAdmin fixture) : LoginAuditTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class LoginAuditTestsPostgres(PostgresAdmin fixture) : LoginAuditTests(fixture), IClassFixture<PostgresAdmin>;
