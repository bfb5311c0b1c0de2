using System.Net;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Core.Security;

namespace Gatehouse.Admin.Tests.Security;

/// <summary>
/// Master key rotation: <c>Gatehouse:Admin:PreviousSecretKeys</c> keeps old rows readable, the start-up log counts
/// them, <c>POST /api/v1/security/rotate-secret-key</c> re-seals them all or none, and then the old key can go.
/// Each admin restart reuses the store (SQLite file or PostgreSQL database).
/// </summary>
public abstract class SecretKeyRotationTests
{
    private static readonly string KeyA = Convert.ToBase64String(Enumerable.Repeat((byte)1, 32).ToArray());
    private static readonly string KeyB = Convert.ToBase64String(Enumerable.Repeat((byte)2, 32).ToArray());
    private static readonly string KeyC = Convert.ToBase64String(Enumerable.Repeat((byte)3, 32).ToArray());

    /// <summary>The admin settings of a new, empty store.</summary>
    private protected abstract Task<Dictionary<string, string?>> NewStoreAsync();

    [Fact]
    public async Task Rotate_ReSealsEveryStoredSecret_WithOneAuditRow_AndNoConfigVersion_ThenThePreviousKeyCanGo()
    {
        var store = await NewStoreAsync();
        var first = await StartAsync(null, store, KeyA);
        var directory = first.Directory;
        string group;
        try
        {
            group = await first.CreateGroupAsync();
            await PutAppAsync(first, group, "app-a", "secret-of-app-a-0123456789");
            await PutAppAsync(first, group, "app-b", "secret-of-app-b-0123456789");
            await first.StopAsync();
        }
        catch
        {
            await first.DisposeAsync();
            throw;
        }

        // The new key is current, the old one previous: rows under the old key still open, and the log counts them.
        var second = await StartAsync(directory, store, KeyB, KeyA);
        try
        {
            Assert.Contains(second.Logs.Messages, m => m.StartsWith("2 of 2 stored app secrets are still sealed under a previous master key", StringComparison.Ordinal));
            await PutAppAsync(second, group, "app-c", "secret-of-app-c-0123456789");
            var versions = await second.VersionCountAsync(group);
            var publishedBefore = await PublishedSecretsAsync(second, group, versions);

            // Only admins may rotate.
            var (operatorName, _) = await second.CreateUserAsync("operator");
            using (var operatorClient = second.WithToken(await second.CreateTokenAsync(operatorName)))
            {
                Assert.Equal(HttpStatusCode.Forbidden, (await operatorClient.PostAsync("/api/v1/security/rotate-secret-key", null)).StatusCode);
            }

            var result = await (await second.Client.PostAsync("/api/v1/security/rotate-secret-key", null)).ReadJsonAsync(HttpStatusCode.OK);
            Assert.Equal(2, result.GetProperty("resealed").GetInt32());
            Assert.Equal(SecretEnvelope.KeyId(Convert.FromBase64String(KeyB)), result.GetProperty("keyId").GetString());

            // No config version: published snapshots are sealed under the control secret, which did not change.
            Assert.Equal(versions, await second.VersionCountAsync(group));
            var me = await (await second.Client.GetAsync("/api/v1/auth/me")).ReadJsonAsync(HttpStatusCode.OK);
            var audit = Assert.Single(await RotationAuditAsync(second));
            Assert.Equal(me.GetProperty("user").GetString(), audit.GetProperty("actor").GetString());
            Assert.Equal(2, audit.GetProperty("after").GetProperty("resealed").GetInt32());
            await second.StopAsync();
        }
        catch
        {
            await second.DisposeAsync();
            throw;
        }

        // Without the previous key: every row opens, writes work, and the published form of an unchanged secret is unchanged.
        await using var third = await StartAsync(directory, store, KeyB);
        Assert.Contains(third.Logs.Messages, m => m.StartsWith("All 3 stored app secrets are sealed under the current master key", StringComparison.Ordinal));
        var before = await third.VersionCountAsync(group);
        var publishedRotated = await PublishedSecretsAsync(third, group, before);
        await (await third.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        var publishedAfter = await PublishedSecretsAsync(third, group, before + 1);
        Assert.Equal(publishedRotated, publishedAfter);
        Assert.Equal("secret-of-app-a-0123456789", Open("app-a", publishedAfter["app-a"]));
        Assert.Equal("secret-of-app-b-0123456789", Open("app-b", publishedAfter["app-b"]));
    }

    [Fact]
    public async Task Rotate_WithARowNoConfiguredKeyOpens_RefusesAndReSealsNothing()
    {
        var store = await NewStoreAsync();
        var first = await StartAsync(null, store, KeyA);
        var directory = first.Directory;
        string lost;
        string kept;
        try
        {
            lost = await first.CreateGroupAsync();
            await PutAppAsync(first, lost, "app-a", "secret-of-app-a-0123456789");
            await first.StopAsync();

            // Key A is then lost; group `kept` gets an app under key B.
            var second = await StartAsync(directory, store, KeyB);
            kept = await second.CreateGroupAsync();
            await PutAppAsync(second, kept, "app-b", "secret-of-app-b-0123456789");
            await second.StopAsync();
        }
        catch
        {
            await first.DisposeAsync();
            throw;
        }

        // Rotating to C with B as previous: app-b could be re-sealed, app-a cannot; so neither is.
        var third = await StartAsync(directory, store, KeyC, KeyB);
        try
        {
            Assert.Contains(third.Logs.Messages, m => m.StartsWith("1 stored app secrets open with none of the configured master keys", StringComparison.Ordinal));
            var problem = await (await third.Client.PostAsync("/api/v1/security/rotate-secret-key", null)).ReadProblemAsync(HttpStatusCode.Conflict);
            Assert.Contains("app 'app-a'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Empty(await RotationAuditAsync(third));
            await third.StopAsync();
        }
        catch
        {
            await third.DisposeAsync();
            throw;
        }

        // app-b is still under key B: an admin with only key B writes to its group (it would fail had app-b moved to C).
        await using var fourth = await StartAsync(directory, store, KeyB);
        await (await fourth.Client.PostAsync($"/api/v1/groups/{kept}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);
    }

    private static Task<AdminHost> StartAsync(string? directory, Dictionary<string, string?> store, string key, params string[] previous)
    {
        var settings = new Dictionary<string, string?>(store) { ["Gatehouse:Admin:SecretKey"] = key };
        for (var i = 0; i < previous.Length; i++)
        {
            settings[$"Gatehouse:Admin:PreviousSecretKeys:{i}"] = previous[i];
        }

        return AdminHost.StartAsync(directory: directory, settings: settings);
    }

    private static async Task PutAppAsync(AdminHost host, string group, string appKey, string secret) =>
        await (await host.Client.PutAsync($"/api/v1/groups/{group}/apps/{appKey}", AdminHost.Json($$"""{"secret":"{{secret}}"}""")))
            .ReadJsonAsync(HttpStatusCode.Created);

    /// <summary>The sealed app secrets of published version <paramref name="version"/>, by appKey.</summary>
    private static async Task<Dictionary<string, string>> PublishedSecretsAsync(AdminHost host, string group, long version)
    {
        var document = await (await host.Client.GetAsync($"/api/v1/groups/{group}/versions/{version}")).ReadJsonAsync(HttpStatusCode.OK);
        return document.GetProperty("config").GetProperty("apps").EnumerateArray()
            .ToDictionary(a => a.GetProperty("appKey").GetString()!, a => a.GetProperty("secret").GetString()!);
    }

    private static string Open(string appKey, string sealedSecret)
    {
        Assert.True(new AppSecretTransport(AdminHost.Secret).TryOpen(appKey, sealedSecret, out var secret));
        return secret;
    }

    private static async Task<List<JsonElement>> RotationAuditAsync(AdminHost host)
    {
        var page = await (await host.Client.GetAsync("/api/v1/audit?entity=secretKey&limit=100")).ReadJsonAsync(HttpStatusCode.OK);
        return page.GetProperty("items").EnumerateArray().Where(r => r.GetProperty("action").GetString() == "secretKey.rotate")
            .Select(r => r.Clone()).ToList();
    }
}

public sealed class SecretKeyRotationTestsSqlite : SecretKeyRotationTests
{
    private protected override Task<Dictionary<string, string?>> NewStoreAsync() => Task.FromResult(new Dictionary<string, string?>());
}

[Collection(PostgresCollection.Name)]
public sealed class SecretKeyRotationTestsPostgres(PostgresServer server) : SecretKeyRotationTests
{
    private protected override Task<Dictionary<string, string?>> NewStoreAsync() => server.NewStoreSettingsAsync();
}
