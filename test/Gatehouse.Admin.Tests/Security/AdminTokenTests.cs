using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Gatehouse.Admin.Tests.Infrastructure;

namespace Gatehouse.Admin.Tests.Security;

public sealed class AdminTokenTests
{
    [Fact]
    public async Task GeneratedToken_WorksIsStoredHashedAndIsNotRegenerated()
    {
        var directory = Directory.CreateTempSubdirectory("gatehouse-admin-token-").FullName;

        // Stopped, not disposed: disposing would delete the store the second start must find.
        var first = await AdminHost.StartAsync(token: null, directory: directory);
        var token = GeneratedToken(first.Logs);
        Assert.Equal(43, token.Length); // 32 bytes, base64url without padding

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/groups");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await first.Anonymous.SendAsync(request)).StatusCode);
        await (await first.Client.GetAsync("/api/v1/groups")).ReadProblemAsync(HttpStatusCode.Unauthorized);
        await first.StopAsync();

        var stored = await File.ReadAllBytesAsync(first.DatabasePath);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        Assert.True(Contains(stored, Encoding.UTF8.GetBytes(hash)), "the token's hash is stored");
        Assert.False(Contains(stored, Encoding.UTF8.GetBytes(token)), "the token itself is not stored");

        var second = await AdminHost.StartAsync(token: null, directory: directory);
        try
        {
            Assert.DoesNotContain(second.Logs.Messages, m => m.Contains("admin API token", StringComparison.Ordinal));
            using var again = new HttpRequestMessage(HttpMethod.Get, "/api/v1/groups");
            again.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            Assert.Equal(HttpStatusCode.OK, (await second.Anonymous.SendAsync(again)).StatusCode);
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task Healthz_AnswersWithoutToken_WhileTheApiStillRequiresOne()
    {
        await using var admin = await AdminHost.StartAsync();
        using var health = await admin.Anonymous.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("\"ok\"", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await (await admin.Anonymous.GetAsync("/api/v1/groups")).ReadProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task FirstStart_CreatesUserAdmin_WithAPrintedPassword_ThatLogsIn_AndIsNotPrintedAgain()
    {
        var directory = Directory.CreateTempSubdirectory("gatehouse-admin-bootstrap-").FullName;
        var first = await AdminHost.StartAsync(directory: directory);
        var message = Assert.Single(first.Logs.Messages, m => m.Contains("Created user 'admin'", StringComparison.Ordinal));
        var password = Regex.Match(message, @": (\S+)$").Groups[1].Value;
        using var login = await first.Anonymous.PostAsync("/api/v1/auth/login",
            AdminHost.Json($$"""{"user":"admin","password":"{{password}}"}"""));
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        await first.StopAsync();

        var stored = await File.ReadAllBytesAsync(first.DatabasePath);
        Assert.False(Contains(stored, Encoding.UTF8.GetBytes(password)), "the password itself is not stored");
        var second = await AdminHost.StartAsync(directory: directory);
        try
        {
            Assert.DoesNotContain(second.Logs.Messages, m => m.Contains("Created user", StringComparison.Ordinal));
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    private static string GeneratedToken(LogCapture logs)
    {
        var message = Assert.Single(logs.Messages, m => m.Contains("admin API token", StringComparison.Ordinal));
        return Regex.Match(message, @": (\S+)$").Groups[1].Value;
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
