using System.Net;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using static Gatehouse.Gateway.FunctionalTests.ConfigSync.SyncTestKit;

namespace Gatehouse.Gateway.FunctionalTests.ConfigSync;

/// <summary>
/// A gateway given several admins (<c>--admin URL1,URL2</c>, all serving one store): it pulls from and reports to the
/// first that answers and moves to the next when that one fails.
/// </summary>
public class AdminFailoverTests
{
    private const int AdminSwitchedEvent = 3306;

    [Fact]
    public async Task TwoAdmins_BothUp_UsesTheFirstOnly()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var first = await SnapshotServer.StartAsync(Secret);
        await using var second = await SnapshotServer.StartAsync(Secret);
        first.Serve(Config(1, blue));
        second.Serve(Config(1, blue));

        await using var gw = await GatewayTestHost.StartWithAdminAsync($"{first.Url},{second.Url}", Secret, null,
            "--Gatehouse:Gateway:PullInterval", "00:00:00.200", "--Gatehouse:Gateway:HeartbeatInterval", "00:00:00.200");
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(first.PullCount >= 3 && !first.Heartbeats.IsEmpty),
            TimeSpan.FromSeconds(5), "pulls and heartbeats reach the first admin");

        Assert.StartsWith("blue|", (await GetAsync(gw)).Body);
        Assert.Equal(0, second.PullCount);
        Assert.Empty(second.Heartbeats);
        Assert.False(gw.Logs.Has(AdminSwitchedEvent));
    }

    [Fact]
    public async Task FirstAdminDownAtStart_ConfigFromTheSecond_BeforeTheFirstRequest()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var second = await SnapshotServer.StartAsync(Secret);
        second.Serve(Config(1, blue));
        var dead = $"http://127.0.0.1:{FreePort.Next()}";

        await using var gw = await GatewayTestHost.StartWithAdminAsync($"{dead},{second.Url}", Secret);

        // No wait: the start-up pull moved on to the second admin before the server took traffic.
        var (status, body) = await GetAsync(gw);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("blue|", body);
        Assert.Equal("admin", await GetSourceAsync(gw));
        Assert.True(gw.Logs.Has(AdminSwitchedEvent));
    }

    [Fact]
    public async Task AdminInUseFails_NextAdminTakesOver_ChangesAndHeartbeatsFlowThroughIt()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var green = await EchoBackend.StartAsync("green");
        var first = await SnapshotServer.StartAsync(Secret);
        await using var second = await SnapshotServer.StartAsync(Secret);
        first.Serve(Config(1, blue));
        second.Serve(Config(1, blue));
        await using var gw = await GatewayTestHost.StartWithAdminAsync($"{first.Url},{second.Url}", Secret, null,
            "--Gatehouse:Gateway:HeartbeatInterval", "00:00:00.200");
        Assert.StartsWith("blue|", (await GetAsync(gw)).Body);
        Assert.Equal(0, second.PullCount);

        // The admin in use goes away; the survivor has a newer version and pushes it (any admin pushes).
        await first.DisposeAsync();
        second.Serve(Config(2, green));
        using var push = await SnapshotServer.PushAsync(gw.Control, Secret, version: 2);
        Assert.Equal(HttpStatusCode.Accepted, push.StatusCode);

        await WaitForVersionAsync(gw, 2, TimeSpan.FromSeconds(5));
        Assert.StartsWith("green|", (await GetAsync(gw)).Body);
        Assert.Contains((long?)1, second.Pulls);
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(second.Heartbeats.Any(h => h.Version == 2)),
            TimeSpan.FromSeconds(5), "the second admin receives heartbeats with version 2");
        var switched = Assert.Single(gw.Logs.Entries, e => e.EventId.Id == AdminSwitchedEvent);
        Assert.Contains(second.Url, switched.Message, StringComparison.Ordinal);
    }
}
