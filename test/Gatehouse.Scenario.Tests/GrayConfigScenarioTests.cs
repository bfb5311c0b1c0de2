using System.Net;
using System.Text.Json;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// Gray config with real processes: a gray config addressed to one node of a group reaches only that node, promote
/// moves the whole group to it, drop brings the gray node back to the normal config, and another group never moves.
/// Every change is delivered by the admin's push; the pull timer is a minute away.
/// </summary>
public sealed class GrayConfigScenarioTests
{
    /// <summary>Long enough that an apply within a few seconds can only have come from a push.</summary>
    private static readonly TimeSpan NoTimedPull = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan PushLimit = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task GrayToOneNode_ThenPromote_ThenDrop_AllByPush()
    {
        await using var cluster = await ScenarioCluster.StartAsync();

        // Two demo nodes of the same service: which one answers tells which config a gateway runs.
        var normalPort = GatehouseProcess.FreePort();
        var grayPort = GatehouseProcess.FreePort();
        var normalDemo = cluster.StartProcess("demo-normal", "demo", "--service", "orders", "--port", normalPort.ToString(), "--node", "orders-normal");
        var grayDemo = cluster.StartProcess("demo-gray", "demo", "--service", "orders", "--port", grayPort.ToString(), "--node", "orders-gray");
        await cluster.WaitAsync(async () => await cluster.StatusAsync(cluster.Client, $"http://127.0.0.1:{normalPort}/healthz") == HttpStatusCode.OK, "normal demo up");
        await cluster.WaitAsync(async () => await cluster.StatusAsync(cluster.Client, $"http://127.0.0.1:{grayPort}/healthz") == HttpStatusCode.OK, "gray demo up");

        foreach (var group in new[] { "a", "b" })
        {
            await cluster.CreateGroupAsync(group);
            await AddOrdersAsync(cluster, group, normalPort);
        }

        var a1 = cluster.StartGateway("a", "gw-a1", NoTimedPull);
        var a2 = cluster.StartGateway("a", "gw-a2", NoTimedPull);
        var b1 = cluster.StartGateway("b", "gw-b1", NoTimedPull);
        var normalVersion = await cluster.AdminVersionAsync("a");
        await cluster.WaitReadyAsync("a", a1, normalVersion);
        await cluster.WaitReadyAsync("a", a2, normalVersion);
        await cluster.WaitReadyAsync("b", b1, await cluster.AdminVersionAsync("b"));
        var bVersion = await cluster.GatewayVersionAsync(b1);
        Assert.NotNull(bVersion);
        Assert.Equal("orders-normal", await AnsweringNodeAsync(cluster, a1));
        Assert.Equal("orders-normal", await AnsweringNodeAsync(cluster, a2));
        Assert.Equal("orders-normal", await AnsweringNodeAsync(cluster, b1));

        // Gray to gw-a2 only: the same service, routed to the other demo node.
        var exported = await cluster.Admin.GetStringAsync("/api/v1/groups/a/export");
        var grayConfig = exported.Replace($"127.0.0.1:{normalPort}", $"127.0.0.1:{grayPort}", StringComparison.Ordinal);
        Assert.NotEqual(exported, grayConfig);
        var grayVersion = await CreateGrayAsync(cluster, "gw-a2", grayConfig);
        Assert.True(grayVersion > normalVersion, $"gray version {grayVersion} after normal {normalVersion}");
        await cluster.TimeUntilAppliedAsync(a2, grayVersion, DateTime.UtcNow, PushLimit);
        Assert.Equal("orders-gray", await AnsweringNodeAsync(cluster, a2));

        // A stray apply on the other nodes gets the time a2 needed and a second more to show up.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(normalVersion, await cluster.GatewayVersionAsync(a1));
        Assert.Equal("orders-normal", await AnsweringNodeAsync(cluster, a1));
        Assert.Equal(bVersion, await cluster.GatewayVersionAsync(b1));
        Assert.Equal("orders-normal", await AnsweringNodeAsync(cluster, b1));

        // Promote: a new normal version equal to the gray config, pushed to both nodes of the group.
        using (var promote = await cluster.Admin.PostAsync("/api/v1/groups/a/gray/promote", null))
        {
            Assert.True(promote.StatusCode == HttpStatusCode.OK, await promote.Content.ReadAsStringAsync());
        }

        var promoted = await cluster.AdminVersionAsync("a");
        Assert.True(promoted > grayVersion, $"promoted version {promoted} after gray {grayVersion}");
        var started = DateTime.UtcNow;
        await cluster.TimeUntilAppliedAsync(a1, promoted, started, PushLimit);
        await cluster.TimeUntilAppliedAsync(a2, promoted, started, PushLimit);
        Assert.Equal("orders-gray", await AnsweringNodeAsync(cluster, a1));
        Assert.Equal("orders-gray", await AnsweringNodeAsync(cluster, a2));
        await AssertNoGrayAsync(cluster);

        // A second gray (back to the first demo node) to gw-a2, then drop it: gw-a2 returns to the promoted config.
        var secondConfig = (await cluster.Admin.GetStringAsync("/api/v1/groups/a/export"))
            .Replace($"127.0.0.1:{grayPort}", $"127.0.0.1:{normalPort}", StringComparison.Ordinal);
        var secondGray = await CreateGrayAsync(cluster, "gw-a2", secondConfig);
        await cluster.TimeUntilAppliedAsync(a2, secondGray, DateTime.UtcNow, PushLimit);
        Assert.Equal("orders-normal", await AnsweringNodeAsync(cluster, a2));
        Assert.Equal("orders-gray", await AnsweringNodeAsync(cluster, a1));

        using (var drop = await cluster.Admin.DeleteAsync("/api/v1/groups/a/gray"))
        {
            Assert.True(drop.StatusCode == HttpStatusCode.OK, await drop.Content.ReadAsStringAsync());
        }

        var afterDrop = await cluster.AdminVersionAsync("a");
        Assert.True(afterDrop > secondGray, $"drop version {afterDrop} after gray {secondGray}");
        started = DateTime.UtcNow;
        await cluster.TimeUntilAppliedAsync(a2, afterDrop, started, PushLimit);
        await cluster.TimeUntilAppliedAsync(a1, afterDrop, started, PushLimit);
        Assert.Equal("orders-gray", await AnsweringNodeAsync(cluster, a2));
        Assert.Equal("orders-gray", await AnsweringNodeAsync(cluster, a1));
        await AssertNoGrayAsync(cluster);

        // Group b saw none of it: same version as before the first gray, same backend, and no push ever reached it.
        Assert.Equal(bVersion, await cluster.GatewayVersionAsync(b1));
        Assert.Equal("orders-normal", await AnsweringNodeAsync(cluster, b1));
        Assert.DoesNotContain("Config push from", b1.Process.Output);
        Assert.False(normalDemo.HasExited || grayDemo.HasExited, cluster.Logs());
    }

    private static async Task AddOrdersAsync(ScenarioCluster cluster, string group, int port)
    {
        var body = $$"""{"name":"orders","nodes":[{"id":"orders-1","address":"http://127.0.0.1:{{port}}"}],"apis":[{"id":"all","path":"/**"}]}""";
        using var response = await cluster.Admin.PostAsync($"/api/v1/groups/{group}/services", ScenarioCluster.Json(body));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Creates the group's gray config for one node; returns its version.</summary>
    private static async Task<long> CreateGrayAsync(ScenarioCluster cluster, string node, string config)
    {
        var body = $$"""{"nodes":["{{node}}"],"config":{{config}}}""";
        using var response = await cluster.Admin.PostAsync("/api/v1/groups/a/gray", ScenarioCluster.Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.GetProperty("version").GetInt64();
    }

    private static async Task AssertNoGrayAsync(ScenarioCluster cluster)
    {
        Assert.Equal(HttpStatusCode.NotFound, await cluster.StatusAsync(cluster.Admin, "/api/v1/groups/a/gray"));
    }

    /// <summary>The demo node that answered a request for the orders service through the gateway.</summary>
    private static async Task<string?> AnsweringNodeAsync(ScenarioCluster cluster, ScenarioGateway gateway)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{gateway.Port}/orders/1");
        request.Headers.Add("serviceName", "orders");
        using var response = await cluster.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{gateway.NodeId}: {(int)response.StatusCode} {text}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.GetProperty("node").GetString();
    }
}
