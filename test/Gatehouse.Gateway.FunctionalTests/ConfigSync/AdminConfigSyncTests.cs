using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using static Gatehouse.Gateway.FunctionalTests.ConfigSync.SyncTestKit;

namespace Gatehouse.Gateway.FunctionalTests.ConfigSync;

/// <summary>Admin mode against a protocol-conformant admin peer: start, push, timed pull, push auth, heartbeat.</summary>
public class AdminConfigSyncTests
{
    [Fact]
    public async Task Start_PullsFullSnapshot_ServesFromFirstRequest()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var admin = await SnapshotServer.StartAsync(Secret);
        admin.Serve(Config(1, blue));
        await using var gw = await GatewayTestHost.StartWithAdminAsync(admin.Url, Secret);

        // No wait: the pull happens before the server takes traffic.
        var (status, body) = await GetAsync(gw);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("blue|", body);
        Assert.Equal(1, (await gw.GetVersionAsync()).Version);
        Assert.Equal("admin", await GetSourceAsync(gw));
        Assert.Equal(HttpStatusCode.OK, (await gw.Control.GetAsync("/readyz")).StatusCode);
        Assert.True(admin.Pulls.TryPeek(out var first));
        Assert.Null(first);
        Assert.Empty(admin.Refused);
    }

    [Fact]
    public async Task Push_SignedAfterChange_AppliedLongBeforeTheTimedPull()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var green = await EchoBackend.StartAsync("green");
        await using var admin = await SnapshotServer.StartAsync(Secret);
        admin.Serve(Config(1, blue));
        await using var gw = await GatewayTestHost.StartWithAdminAsync(admin.Url, Secret);

        admin.Serve(Config(2, green));
        var clock = Stopwatch.StartNew();
        using var response = await SnapshotServer.PushAsync(gw.Control, Secret, version: 2);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        // The pull timer is a minute away, so arriving within a tenth of that proves the push did it; the latency
        // itself is a bench/ measurement, not a test bound.
        await WaitForVersionAsync(gw, 2, TimeSpan.FromSeconds(6));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"applied after {clock.Elapsed}");

        Assert.StartsWith("green|", (await GetAsync(gw)).Body);
        Assert.Contains((long?)1, admin.Pulls);
    }

    [Fact]
    public async Task TimedPull_PushLost_CatchesUp()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var green = await EchoBackend.StartAsync("green");
        await using var admin = await SnapshotServer.StartAsync(Secret);
        admin.Serve(Config(1, blue));
        await using var gw = await GatewayTestHost.StartWithAdminAsync(admin.Url, Secret, null,
            "--Gatehouse:Gateway:PullInterval", "00:00:00.300");

        // The changes are never pushed: only the timer can bring them in, and it keeps doing so.
        admin.Serve(Config(2, green));
        await WaitForVersionAsync(gw, 2, TimeSpan.FromSeconds(3));
        Assert.StartsWith("green|", (await GetAsync(gw)).Body);
        admin.Serve(Config(3, blue));
        await WaitForVersionAsync(gw, 3, TimeSpan.FromSeconds(3));
        Assert.StartsWith("blue|", (await GetAsync(gw)).Body);
        Assert.Contains((long?)1, admin.Pulls);
        Assert.Contains((long?)2, admin.Pulls);
    }

    [Theory]
    [InlineData("unsigned")]
    [InlineData("wrong-secret")]
    [InlineData("stale")]
    public async Task Push_BadSignature_401ProblemAndNothingPulled(string kind)
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var green = await EchoBackend.StartAsync("green");
        await using var admin = await SnapshotServer.StartAsync(Secret);
        admin.Serve(Config(1, blue));
        await using var gw = await GatewayTestHost.StartWithAdminAsync(admin.Url, Secret);
        admin.Serve(Config(2, green));
        var pullsBefore = admin.PullCount;

        using var response = kind switch
        {
            "unsigned" => await SnapshotServer.PushAsync(gw.Control, null, 2),
            "wrong-secret" => await SnapshotServer.PushAsync(gw.Control, "not-the-secret", 2),
            _ => await SnapshotServer.PushAsync(gw.Control, Secret, 2, timestamp: DateTimeOffset.UtcNow.AddMinutes(-6)),
        };

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("unauthorized", problem.GetProperty("code").GetString());
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));

        // Absence cannot be polled for: give a wrongly accepted push the second a real one needs (test above).
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(pullsBefore, admin.PullCount);
        Assert.Equal(1, (await gw.GetVersionAsync()).Version);

        // The same gateway does act on a valid push, so the silence above was the refusal.
        using var valid = await SnapshotServer.PushAsync(gw.Control, Secret, 2);
        Assert.Equal(HttpStatusCode.Accepted, valid.StatusCode);
        await WaitForVersionAsync(gw, 2, TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Push_OversizedOrOtherGroup_RefusedWithoutPull()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var admin = await SnapshotServer.StartAsync(Secret);
        admin.Serve(Config(1, blue));
        await using var gw = await GatewayTestHost.StartWithAdminAsync(admin.Url, Secret);
        var pullsBefore = admin.PullCount;

        using var oversized = new HttpRequestMessage(HttpMethod.Post, "/control/config") { Content = new ByteArrayContent(new byte[70 * 1024]) };
        using var tooLarge = await gw.Control.SendAsync(oversized);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);

        using var otherGroup = await SnapshotServer.PushAsync(gw.Control, Secret, 2, group: "other");
        Assert.Equal(HttpStatusCode.Conflict, otherGroup.StatusCode);
        Assert.Equal("conflict", (await otherGroup.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Equal(pullsBefore, admin.PullCount);
    }

    [Fact]
    public async Task Start_AdminUrlAndConfigPath_AdminWinsWithWarning()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var green = await EchoBackend.StartAsync("green");
        await using var admin = await SnapshotServer.StartAsync(Secret);
        admin.Serve(Config(1, blue));
        var dir = Directory.CreateTempSubdirectory("gatehouse-test-").FullName;
        try
        {
            var file = Path.Combine(dir, "gatehouse.json");
            await File.WriteAllTextAsync(file, Gatehouse.Core.Config.ConfigSerializer.Serialize(Config(0, green)));
            await using var gw = await GatewayTestHost.StartWithAdminAsync(admin.Url, Secret, null, "--config", file);

            Assert.StartsWith("blue|", (await GetAsync(gw)).Body);
            Assert.Contains(gw.Logs.Entries, e => e.EventId.Id == 3311 && e.Message.Contains(file));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Push_NoSecretConfigured_EveryPushRefused()
    {
        await using var admin = await SnapshotServer.StartAsync(Secret);
        await using var gw = await GatewayTestHost.StartWithAdminAsync(admin.Url, secret: null);

        using var response = await SnapshotServer.PushAsync(gw.Control, Secret, 1);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("unauthorized", problem.GetProperty("code").GetString());
        Assert.Contains("no control secret", problem.GetProperty("detail").GetString());

        // Its own calls go unsigned, and a conformant admin refuses them.
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(!admin.Refused.IsEmpty), TimeSpan.FromSeconds(2),
            "the admin saw no call from the gateway");
        Assert.Equal(0, admin.PullCount);
    }

    [Fact]
    public async Task Heartbeat_AtStartAndRightAfterApply_ReportsVersionGroupAndControlAddress()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var admin = await SnapshotServer.StartAsync(Secret);
        admin.Serve(Config(1, blue));

        // The heartbeat interval is a minute, so any second heartbeat seen here is the one after the apply.
        await using var gw = await GatewayTestHost.StartWithAdminAsync(admin.Url, Secret, null, "--loc", "eu-1");
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(!admin.Heartbeats.IsEmpty), TimeSpan.FromSeconds(2),
            "no heartbeat after start");
        Assert.True(admin.Heartbeats.TryPeek(out var first));
        var (_, checksum) = await gw.GetVersionAsync();
        Assert.Equal(new ReceivedHeartbeat("gw-test", "default", "eu-1", $"http://127.0.0.1:{gw.ControlPort}", 1, checksum!), first);

        admin.Serve(Config(2, blue));
        using var push = await SnapshotServer.PushAsync(gw.Control, Secret, 2);
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(admin.Heartbeats.Any(h => h.Version == 2)), TimeSpan.FromSeconds(2),
            "no heartbeat with version 2 after the apply");
        Assert.Equal((await gw.GetVersionAsync()).Checksum, admin.Heartbeats.Single(h => h.Version == 2).Checksum);
    }

    [Fact]
    public async Task Heartbeat_EveryInterval()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var admin = await SnapshotServer.StartAsync(Secret);
        admin.Serve(Config(1, blue));
        await using var gw = await GatewayTestHost.StartWithAdminAsync(admin.Url, Secret, null,
            "--Gatehouse:Gateway:HeartbeatInterval", "00:00:00.150");

        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(admin.Heartbeats.Count >= 4), TimeSpan.FromSeconds(3),
            "fewer than 4 heartbeats at a 150 ms interval");
        Assert.All(admin.Heartbeats, h => Assert.Equal(1, h.Version));
    }
}
