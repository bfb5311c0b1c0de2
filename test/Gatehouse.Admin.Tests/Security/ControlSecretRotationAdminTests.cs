using System.Net;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Core.Security;

namespace Gatehouse.Admin.Tests.Security;

/// <summary>
/// The admin's side of a control secret rotation: gateway calls signed with a previous secret are accepted, and an
/// admin started with a new current secret re-publishes what was sealed under the old one, once.
/// </summary>
public abstract class ControlSecretRotationAdminTests
{
    private const string Old = "control-secret-old-0123456789";
    private const string New = "control-secret-new-9876543210";
    private const string CheckedLog = "Checked the published app secrets of";
    private static readonly string MasterKey = Convert.ToBase64String(Enumerable.Repeat((byte)5, 32).ToArray());

    private protected abstract Task<Dictionary<string, string?>> NewStoreAsync();

    [Fact]
    public async Task NewCurrentSecret_RepublishesOnceUnderIt_PreviousSecretStillSignsGatewayCalls()
    {
        var store = await NewStoreAsync();
        var first = await StartAsync(null, store, Old);
        var directory = first.Directory;
        string group;
        long version;
        try
        {
            group = await first.CreateGroupAsync();
            await (await first.Client.PutAsync($"/api/v1/groups/{group}/apps/app-a", AdminHost.Json("""{"secret":"secret-of-app-a-0123456789"}""")))
                .ReadJsonAsync(HttpStatusCode.Created);
            version = await first.VersionCountAsync(group);
            Assert.Equal(new AppSecretTransport(Old).KeyId, await PublishedKeyIdAsync(first, group, version));

            // Not yet known to the admin: a call signed with the new secret is refused.
            Assert.Equal(HttpStatusCode.Unauthorized, await PullStatusAsync(first, group, New));
            await first.StopAsync();
        }
        catch
        {
            await first.DisposeAsync();
            throw;
        }

        var second = await StartAsync(directory, store, New, Old);
        try
        {
            await WaitForLogAsync(second, CheckedLog);
            Assert.Equal(version + 1, await second.VersionCountAsync(group));
            Assert.Equal(new AppSecretTransport(New).KeyId, await PublishedKeyIdAsync(second, group, version + 1));
            var audit = await (await second.Client.GetAsync($"/api/v1/audit?group={group}&limit=10")).ReadJsonAsync(HttpStatusCode.OK);
            var row = audit.GetProperty("items").EnumerateArray().First();
            Assert.Equal("controlSecret.reseal", row.GetProperty("action").GetString());
            Assert.Equal("system", row.GetProperty("actor").GetString());

            // Gateways still on the old secret keep pulling; one with neither secret does not.
            Assert.Equal(HttpStatusCode.OK, await PullStatusAsync(second, group, Old));
            Assert.Equal(HttpStatusCode.OK, await PullStatusAsync(second, group, New));
            Assert.Equal(HttpStatusCode.Unauthorized, await PullStatusAsync(second, group, "some-other-secret"));
            await second.StopAsync();
        }
        catch
        {
            await second.DisposeAsync();
            throw;
        }

        // Restarted again on the same secrets: nothing is re-published, the checksum stays.
        await using var third = await StartAsync(directory, store, New);
        await WaitForLogAsync(third, CheckedLog);
        Assert.Equal(version + 1, await third.VersionCountAsync(group));
        Assert.Equal(HttpStatusCode.Unauthorized, await PullStatusAsync(third, group, Old));
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

    private static async Task<HttpStatusCode> PullStatusAsync(AdminHost host, string group, string secret)
    {
        using var request = AdminHost.Signed(HttpMethod.Get, $"/api/v1/gateway/config?group={group}&node=gw-1", secret: secret);
        using var response = await host.Anonymous.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<string?> PublishedKeyIdAsync(AdminHost host, string group, long version)
    {
        var document = await (await host.Client.GetAsync($"/api/v1/groups/{group}/versions/{version}")).ReadJsonAsync(HttpStatusCode.OK);
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
