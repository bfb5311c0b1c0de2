using System.Net;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Core.Security;

namespace Gatehouse.Admin.Tests.Security;

/// <summary>
/// The admin's side of a control secret rotation: gateway calls signed with a previous secret are accepted, and an
/// admin started with a new current secret re-publishes what was sealed under the old one (normal and gray), once.
/// </summary>
public abstract class ControlSecretRotationAdminTests
{
    private const string Old = "control-secret-old-0123456789";
    private const string New = "control-secret-new-9876543210";
    private const string CheckedLog = "Checked the published app secrets of";
    private static readonly string MasterKey = Convert.ToBase64String(Enumerable.Repeat((byte)5, 32).ToArray());

    private protected abstract Task<Dictionary<string, string?>> NewStoreAsync();

    [Fact]
    public async Task NewCurrentSecret_RepublishesOnceUnderIt_GrayConfigToo_PreviousSecretStillSignsGatewayCalls()
    {
        var store = await NewStoreAsync();
        var first = await StartAsync(null, store, Old);
        var directory = first.Directory;
        string group;
        long grayVersion;
        try
        {
            group = await first.CreateGroupAsync();
            await (await first.Client.PutAsync($"/api/v1/groups/{group}/apps/app-a", AdminHost.Json("""{"secret":"secret-of-app-a-0123456789"}""")))
                .ReadJsonAsync(HttpStatusCode.Created);
            grayVersion = (await (await first.Client.PostAsync($"/api/v1/groups/{group}/gray", AdminHost.Json(
                    """{"nodes":["gw-2"],"force":true,"config":{"apps":[{"appKey":"app-g","secret":"secret-of-app-g-0123456789"}]}}""")))
                .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("version").GetInt64();
            Assert.Equal(new AppSecretTransport(Old).KeyId, PublishedKeyId(await PullAsync(first, group, "gw-1", Old, HttpStatusCode.OK)));
            Assert.Equal(new AppSecretTransport(Old).KeyId, PublishedKeyId(await PullAsync(first, group, "gw-2", Old, HttpStatusCode.OK)));

            // Not yet known to the admin: a call signed with the new secret is refused.
            await PullAsync(first, group, "gw-1", New, HttpStatusCode.Unauthorized);
            await first.StopAsync();
        }
        catch
        {
            await first.DisposeAsync();
            throw;
        }

        var second = await StartAsync(directory, store, New, Old);
        long versions;
        try
        {
            await WaitForLogAsync(second, CheckedLog);
            var newKeyId = new AppSecretTransport(New).KeyId;

            // Gateways still on the old secret keep pulling, and get both the normal and the gray snapshot re-sealed.
            var normal = await PullAsync(second, group, "gw-1", Old, HttpStatusCode.OK);
            Assert.Equal(newKeyId, PublishedKeyId(normal));
            var gray = await PullAsync(second, group, "gw-2", New, HttpStatusCode.OK);
            Assert.Equal(newKeyId, PublishedKeyId(gray));
            Assert.True(gray.GetProperty("version").GetInt64() > grayVersion);
            Assert.Equal("app-g", gray.GetProperty("config").GetProperty("apps")[0].GetProperty("appKey").GetString());
            var active = await (await second.Client.GetAsync($"/api/v1/groups/{group}/gray")).ReadJsonAsync(HttpStatusCode.OK);
            Assert.Equal(gray.GetProperty("version").GetInt64(), active.GetProperty("version").GetInt64());
            Assert.Equal(["gw-2"], active.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()));

            var audit = await (await second.Client.GetAsync("/api/v1/audit?limit=100")).ReadJsonAsync(HttpStatusCode.OK);
            var rows = audit.GetProperty("items").EnumerateArray().Where(r => r.GetProperty("group").GetString() == group)
                .Select(r => (Action: r.GetProperty("action").GetString(), Actor: r.GetProperty("actor").GetString())).ToList();
            Assert.Contains(("controlSecret.reseal", "system"), rows);
            Assert.Contains(("gray.reseal", "system"), rows);

            await PullAsync(second, group, "gw-1", "some-other-secret", HttpStatusCode.Unauthorized);
            versions = await second.VersionCountAsync(group);
            await second.StopAsync();
        }
        catch
        {
            await second.DisposeAsync();
            throw;
        }

        // Restarted again on the same current secret: nothing is re-published, so checksums stay; the old secret is gone.
        await using var third = await StartAsync(directory, store, New);
        await WaitForLogAsync(third, CheckedLog);
        Assert.Equal(versions, await third.VersionCountAsync(group));
        await PullAsync(third, group, "gw-1", Old, HttpStatusCode.Unauthorized);
        await PullAsync(third, group, "gw-1", New, HttpStatusCode.OK);
    }

    private static Task<AdminHost> StartAsync(string? directory, Dictionary<string, string?> store, string current, params string[] previous)
    {
        var settings = new Dictionary<string, string?>(store)
        {
            ["Gatehouse:Admin:SecretKey"] = MasterKey,
            ["Gatehouse:ControlSecret"] = current,
        };
        for (var i = 0; i < previous.Length; i++)
        {
            settings[$"Gatehouse:PreviousControlSecrets:{i}"] = previous[i];
        }

        return AdminHost.StartAsync(directory: directory, settings: settings);
    }

    private static async Task<JsonElement> PullAsync(AdminHost host, string group, string node, string secret, HttpStatusCode expected)
    {
        using var request = AdminHost.Signed(HttpMethod.Get, $"/api/v1/gateway/config?group={group}&node={node}", secret: secret);
        using var response = await host.Anonymous.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The key id of the first app secret of a pulled snapshot document.</summary>
    private static string? PublishedKeyId(JsonElement document)
    {
        Assert.True(SecretEnvelope.TryReadKeyId(document.GetProperty("config").GetProperty("apps")[0].GetProperty("secret").GetString(), out var id));
        return id;
    }

    private static async Task WaitForLogAsync(AdminHost host, string start)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!host.Logs.Messages.Any(m => m.StartsWith(start, StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no log line starting '{start}' within 30 s");
            await Task.Delay(50);
        }
    }
}

public sealed class ControlSecretRotationAdminTestsSqlite : ControlSecretRotationAdminTests
{
    private protected override Task<Dictionary<string, string?>> NewStoreAsync() => Task.FromResult(new Dictionary<string, string?>());
}

[Collection(PostgresCollection.Name)]
public sealed class ControlSecretRotationAdminTestsPostgres(PostgresServer server) : ControlSecretRotationAdminTests
{
    private protected override Task<Dictionary<string, string?>> NewStoreAsync() => server.NewStoreSettingsAsync();
}
