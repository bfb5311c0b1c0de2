using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// Config distribution with real processes: the admin's push after a write (notify-then-pull), its group isolation,
/// and the timed pull healing a push that never arrives.
/// </summary>
public sealed class ConfigPushScenarioTests
{
    /// <summary>Long enough that an apply within a couple of seconds can only have come from a push.</summary>
    private static readonly TimeSpan NoTimedPull = TimeSpan.FromSeconds(60);

    // A tenth of the pull interval: generous for a loaded CI box, yet only a push can meet it.
    private static readonly TimeSpan PushBound = TimeSpan.FromSeconds(6);

    [Fact]
    public async Task Push_AppliesEveryChange_LongBeforeTheTimedPull()
    {
        await using var cluster = await ScenarioCluster.StartAsync();
        await cluster.CreateGroupAsync("default");
        var gateway = cluster.StartGateway("default", "gw-push", NoTimedPull);
        await cluster.WaitReadyAsync("default", gateway, await cluster.AdminVersionAsync("default"));

        // The first change after start: the pull timer is a minute away, so only the push can bring it in time.
        var version = await cluster.AdminVersionAsync("default");
        var started = DateTime.UtcNow;
        await cluster.AddServiceAsync("default", "first");
        await cluster.TimeUntilAppliedAsync(gateway, ++version, started, PushBound);

        var latencies = new List<TimeSpan>();
        for (var i = 0; i < 20; i++)
        {
            started = DateTime.UtcNow;
            await cluster.AddServiceAsync("default", $"svc-{i}");
            latencies.Add(await cluster.TimeUntilAppliedAsync(gateway, ++version, started, PushBound));
        }

        // Latency itself is measured by bench/config-propagation.sh; here every change must arrive by push, i.e.
        // far inside the minute the timed pull would take.
        Assert.Equal(20, latencies.Count);
        Assert.Contains("Config push from", gateway.Process.Output);
    }

    [Fact]
    public async Task Push_ReachesOnlyTheChangedGroup()
    {
        await using var cluster = await ScenarioCluster.StartAsync();
        await cluster.CreateGroupAsync("alpha");
        await cluster.AddServiceAsync("alpha", "orders");
        await cluster.CreateGroupAsync("beta");
        await cluster.AddServiceAsync("beta", "billing");
        var a = cluster.StartGateway("alpha", "gw-a", NoTimedPull);
        var b = cluster.StartGateway("beta", "gw-b", NoTimedPull);
        await cluster.WaitReadyAsync("alpha", a, await cluster.AdminVersionAsync("alpha"));
        await cluster.WaitReadyAsync("beta", b, await cluster.AdminVersionAsync("beta"));
        var betaVersion = await cluster.GatewayVersionAsync(b);

        var alphaVersion = await cluster.AdminVersionAsync("alpha") + 1;
        var started = DateTime.UtcNow;
        await cluster.AddServiceAsync("alpha", "payments");
        await cluster.TimeUntilAppliedAsync(a, alphaVersion, started, TimeSpan.FromSeconds(2));
        await cluster.WaitAsync(() => Task.FromResult(a.Process.Output.Contains("Config push from", StringComparison.Ordinal)),
            "gateway A logs the push it got");

        // Give a stray push to B the same time A needed, and some more, to show up.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(betaVersion, await cluster.GatewayVersionAsync(b));
        Assert.DoesNotContain("Config push from", b.Process.Output);

        var versionInfo = await cluster.Client.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{b.ControlPort}/control/config/version");
        Assert.Equal(1, versionInfo.GetProperty("services").GetInt32());
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{b.Port}/orders/1");
        request.Headers.Add("serviceName", "orders");
        using var response = await cluster.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("service_not_found", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task LostPush_IsHealedByTheTimedPull()
    {
        await using var cluster = await ScenarioCluster.StartAsync();
        await cluster.CreateGroupAsync("default");

        // The node reports a control address nobody listens on, so every push the admin sends is lost.
        var nowhere = $"http://127.0.0.1:{GatehouseProcess.FreePort()}";
        var gateway = cluster.StartGateway("default", "gw-lost", TimeSpan.FromMilliseconds(500),
            "--Gatehouse:Gateway:ControlAddress", nowhere);
        await cluster.WaitReadyAsync("default", gateway, await cluster.AdminVersionAsync("default"));

        var version = await cluster.AdminVersionAsync("default") + 1;
        var started = DateTime.UtcNow;
        await cluster.AddServiceAsync("default", "orders");
        await cluster.TimeUntilAppliedAsync(gateway, version, started, TimeSpan.FromSeconds(5));

        // The push was attempted and failed (logged once), and the gateway never saw one: the timer did it.
        await cluster.WaitAsync(() => Task.FromResult(cluster.AdminProcess.Output.Contains("Config push to gateway node 'gw-lost'", StringComparison.Ordinal)),
            "admin logs the failed push");
        Assert.DoesNotContain("Config push from", gateway.Process.Output);
    }
}
