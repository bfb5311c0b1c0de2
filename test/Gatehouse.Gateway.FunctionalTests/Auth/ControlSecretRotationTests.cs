using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gatehouse.Admin;
using Gatehouse.Core.Security;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Sdk.Signing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;

namespace Gatehouse.Gateway.FunctionalTests.Auth;

/// <summary>
/// The control secret rotation procedure of docs/configuration.md, on a real admin and real gateways (in-process, on
/// loopback): at every step signed pulls and pushes work, a signed app request passes, and a gateway that never got the
/// new secret fails loudly, naming the key it lacks.
/// </summary>
public sealed class ControlSecretRotationTests : IAsyncDisposable
{
    private const string Token = "rotation-test-token";
    private const string Old = "control-secret-old-0123456789";
    private const string New = "control-secret-new-9876543210";
    private const string AppSecret = "secret-of-app-a-0123456789";
    private const string Group = "rot";
    private const int ConfigRejectedEvent = 3002;
    private const int AdminUnreachableEvent = 3313;
    private const int SignatureRefusedEvent = 3323;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-rotation-").FullName;
    private readonly int _adminPort = FreePort.Next();
    private readonly List<IAsyncDisposable> _running = [];
    private WebApplication? _admin;
    private HttpClient? _api;
    private int _nonce;
    private int _services;

    private string AdminUrl => $"http://127.0.0.1:{_adminPort}";

    [Fact]
    public async Task ThreeStepProcedure_KeepsPullsPushesAndSignedRequestsWorking_OldGatewayFailsLoudly()
    {
        await using var backend = await EchoBackend.StartAsync("b");

        // Before: everyone on the old secret.
        await StartAdminAsync(Old);
        await EnsureAsync(_api!.PostAsync("/api/v1/groups", Json($$"""{"name":"{{Group}}"}""")));
        await EnsureAsync(_api.PostAsync($"/api/v1/groups/{Group}/services", Json("""{"name":"s","policy":{"auth":{"sign":{}}},"nodes":[{"id":"b","address":""" + $"\"{backend.Address}\"" + """}],"apis":[{"id":"all","path":"/**"}]}""")));
        await EnsureAsync(_api.PutAsync($"/api/v1/groups/{Group}/apps/app-a", Json($$"""{"secret":"{{AppSecret}}","permissions":["s"]}""")));
        var gateway = await StartGatewayAsync(Old);
        var stale = await StartGatewayAsync(Old, "gw-stale");
        await AssertServingAsync(gateway, backend);

        // Step 1: the new secret is added as a previous one everywhere (gateways, then admin; any order works):
        // accepted by all before anyone signs or seals with it. Nothing on the wire changes yet.
        gateway = await RestartGatewayAsync(gateway, Old, New);
        await RestartAdminAsync(Old, New);
        await AssertServingAsync(gateway, backend);
        Assert.Equal(new AppSecretTransport(Old).KeyId, await PublishedKeyIdAsync());

        // Step 2: the new secret becomes current, the old one previous, node by node. A gateway first: it signs with
        // the new secret, which the admin accepts as a previous one, and opens the old-sealed snapshot.
        gateway = await RestartGatewayAsync(gateway, New, Old);
        await AssertServingAsync(gateway, backend);

        // Then the admin: it re-publishes at start under the new secret, so nothing published needs the old one.
        var before = await LatestVersionAsync();
        await RestartAdminAsync(New, Old);
        await GatewayTestHost.WaitUntilAsync(async () => await LatestVersionAsync() > before, Wait, "the admin did not re-publish under the new secret");
        Assert.Equal(new AppSecretTransport(New).KeyId, await PublishedKeyIdAsync());
        await AssertServingAsync(gateway, backend);

        // The gateway that never got the new secret: its pulls are still accepted (old is previous on the admin) but
        // the snapshot is sealed under a key it does not hold, and it says so, naming that key.
        var newKeyId = new AppSecretTransport(New).KeyId;
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(stale.Logs.Entries.Any(e => e.EventId.Id == ConfigRejectedEvent
                && e.Message.Contains("apps[app-a].secret", StringComparison.Ordinal)
                && e.Message.Contains($"key id '{newKeyId}'", StringComparison.Ordinal))), Wait,
            "the stale gateway did not log that the snapshot is sealed under a control secret it lacks");

        // Step 3: the old secret is removed everywhere.
        gateway = await RestartGatewayAsync(gateway, New);
        await RestartAdminAsync(New);
        await AssertServingAsync(gateway, backend);
        // (The admin was down for a moment during its restart, so "unreachable" may be logged; a refusal must not be.)
        Assert.DoesNotContain(gateway.Logs.Entries, e => e.EventId.Id is ConfigRejectedEvent or SignatureRefusedEvent
            || (e.EventId.Id == AdminUnreachableEvent && e.Message.Contains("401", StringComparison.Ordinal)));

        // The stale gateway is now refused outright, and says why (even though the admin's restart was an outage already
        // reported as "unreachable").
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(stale.Logs.Entries.Any(e => e.EventId.Id == SignatureRefusedEvent
                && e.Message.Contains("signature does not match", StringComparison.Ordinal)
                && e.Message.Contains("Gatehouse:ControlSecret", StringComparison.Ordinal))), Wait,
            "the stale gateway did not log that the admin refuses its signature");
    }

    [Fact]
    public async Task GatewayWithPreviousSecret_OpensOldSealsAndAcceptsOldSignedPushes_WithoutItRejectsNamingTheKey()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var snapshots = await SnapshotServer.StartAsync(New);
        var config = ConfigSync.SyncTestKit.Config(1, backend) with
        {
            Apps = [new Core.Config.AppConfig { AppKey = "app-a", Secret = new AppSecretTransport(Old).Seal("app-a", AppSecret), Permissions = ["s"] }],
            Global = new Core.Config.PolicyConfig { Auth = new Core.Config.AuthConfig { Sign = new Core.Config.SignConfig() } },
        };
        snapshots.Serve(config);

        await using var rotating = await GatewayTestHost.StartWithAdminAsync(snapshots.Url, New, null, "--Gatehouse:PreviousControlSecrets:0", Old);
        await ConfigSync.SyncTestKit.WaitForVersionAsync(rotating, 1, Wait);
        Assert.Equal(HttpStatusCode.OK, await SignedGetAsync(rotating, AppSecret));
        using (var byOld = await SnapshotServer.PushAsync(rotating.Control, Old, 1))
        {
            Assert.Equal(HttpStatusCode.Accepted, byOld.StatusCode);
        }

        using (var byOther = await SnapshotServer.PushAsync(rotating.Control, "some-other-secret", 1))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, byOther.StatusCode);
        }

        await using var withoutOld = await GatewayTestHost.StartWithAdminAsync(snapshots.Url, New);
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(withoutOld.Logs.Entries.Any(e => e.EventId.Id == ConfigRejectedEvent
                && e.Message.Contains($"key id '{new AppSecretTransport(Old).KeyId}'", StringComparison.Ordinal))), Wait,
            "the gateway without the previous secret did not reject the snapshot naming the key it lacks");
        Assert.Null((await withoutOld.GetVersionAsync()).Version);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var item in _running)
        {
            await item.DisposeAsync();
        }

        await StopAdminAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A pooled handle may still be closing; the temp directory is left for the OS to clean.
        }
    }

    /// <summary>
    /// A config change published now reaches <paramref name="gateway"/> (its signed pull, or the admin's signed push,
    /// got through), and a request signed by app-a passes while a wrong signature does not.
    /// </summary>
    private async Task AssertServingAsync(GatewayTestHost gateway, EchoBackend backend)
    {
        var name = $"extra{++_services}";
        await EnsureAsync(_api!.PostAsync($"/api/v1/groups/{Group}/services", Json($$"""
            {"name":"{{name}}","nodes":[{"id":"b","address":"{{backend.Address}}"}],"apis":[{"id":"all","path":"/**"}]}
            """)));
        var version = await LatestVersionAsync();
        await GatewayTestHost.WaitUntilAsync(async () => (await gateway.GetVersionAsync()).Version >= version, Wait,
            $"the gateway did not apply version {version}");
        Assert.Equal(HttpStatusCode.OK, await SignedGetAsync(gateway, AppSecret));
        Assert.Equal(HttpStatusCode.Unauthorized, await SignedGetAsync(gateway, "not-the-secret-of-app-a"));
    }

    private async Task<HttpStatusCode> SignedGetAsync(GatewayTestHost gateway, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{gateway.Port}/x"));
        request.Headers.Add("serviceName", "s");
        new GatehouseSigner("app-a", secret, []).Sign(request, [], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), $"n{++_nonce}");
        using var response = await gateway.Client.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<long> LatestVersionAsync() =>
        (await _api!.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{Group}/versions")).GetProperty("total").GetInt64();

    /// <summary>The key id in the app secret of the latest published version.</summary>
    private async Task<string?> PublishedKeyIdAsync()
    {
        var document = await _api!.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{Group}/versions/{await LatestVersionAsync()}");
        var sealedSecret = document.GetProperty("config").GetProperty("apps")[0].GetProperty("secret").GetString();
        Assert.True(SecretEnvelope.TryReadKeyId(sealedSecret, out var keyId));
        return keyId;
    }

    private async Task<GatewayTestHost> StartGatewayAsync(string current, string nodeId = "gw-rot", params string[] previous)
    {
        var args = new List<string>
        {
            "--group", Group, "--node-id", nodeId, "--Gatehouse:Gateway:PullInterval", "00:00:00.500",
            "--Gatehouse:Gateway:HeartbeatInterval", "00:00:01",
        };
        for (var i = 0; i < previous.Length; i++)
        {
            args.AddRange([$"--Gatehouse:PreviousControlSecrets:{i}", previous[i]]);
        }

        var gateway = await GatewayTestHost.StartWithAdminAsync(AdminUrl, current, null, [.. args]);
        _running.Add(gateway);
        return gateway;
    }

    private async Task<GatewayTestHost> RestartGatewayAsync(GatewayTestHost gateway, string current, params string[] previous)
    {
        _running.Remove(gateway);
        await gateway.DisposeAsync();
        return await StartGatewayAsync(current, "gw-rot", previous);
    }

    private async Task StartAdminAsync(string current, params string[] previous)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gatehouse:Admin:Database"] = $"Data Source={Path.Combine(_dir, "admin.db")}",
            ["Gatehouse:Admin:SecretKey"] = Convert.ToBase64String(Enumerable.Repeat((byte)9, 32).ToArray()),
            ["Gatehouse:Admin:Token"] = Token,
            ["Gatehouse:ControlSecret"] = current,
        };
        for (var i = 0; i < previous.Length; i++)
        {
            settings[$"Gatehouse:PreviousControlSecrets:{i}"] = previous[i];
        }

        _admin = AdminApplication.Create(["--urls", AdminUrl], builder => builder.Configuration.AddInMemoryCollection(settings));
        await _admin.StartAsync();
        _api = new HttpClient { BaseAddress = new Uri(AdminUrl) };
        _api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    private async Task RestartAdminAsync(string current, params string[] previous)
    {
        await StopAdminAsync();
        await StartAdminAsync(current, previous);
    }

    private async Task StopAdminAsync()
    {
        _api?.Dispose();
        if (_admin is not null)
        {
            await _admin.StopAsync();
            await _admin.DisposeAsync();
            _admin = null;
            SqliteConnection.ClearAllPools();
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task EnsureAsync(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
