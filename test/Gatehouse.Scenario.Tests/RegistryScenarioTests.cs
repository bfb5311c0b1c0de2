using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// Service nodes that join through the SDK, as real processes: they register with the admin's embedded registry, the
/// gateway routes to them, and a node stopped gracefully (SIGTERM) under continuous load deregisters, drains and goes
/// without a single failed request.
/// </summary>
public sealed class RegistryScenarioTests
{
    private const string Group = "registry";

    [Fact]
    public async Task SdkNodes_ReceiveTraffic_GracefulStopUnderLoad_NoFailedRequest()
    {
        await using var cluster = await ScenarioCluster.StartAsync();
        await GracefulStopUnderLoadAsync(cluster, Group, node => StartNode(cluster, node));
    }

    /// <summary>
    /// Two nodes started by <paramref name="startNode"/> register (however they do), traffic reaches both, node A is
    /// stopped with SIGTERM under load: no request fails and only node B is left in the config.
    /// </summary>
    internal static async Task GracefulStopUnderLoadAsync(ScenarioCluster cluster, string group, Func<string, GatehouseProcess> startNode)
    {
        await cluster.CreateGroupAsync(group);
        var gateway = cluster.StartGateway(group, "gw-registry", TimeSpan.FromSeconds(10));

        // The admin must know the gateway as live before the nodes register, or their versions arrive only with the
        // timed pull rather than by push.
        await cluster.WaitReadyAsync(group, gateway, await cluster.AdminVersionAsync(group));
        var a = startNode("orders-a");
        var b = startNode("orders-b");

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        async Task<string?> NodeAsync()
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{gateway.Port}/orders/42");
                request.Headers.Add("serviceName", "orders");
                using var response = await client.SendAsync(request);
                return response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("node").GetString() : null;
            }
            catch (HttpRequestException)
            {
                return null;
            }
        }

        // Both nodes registered themselves and the gateway balances across them; nobody configured a node by hand.
        var seen = new HashSet<string>();
        await cluster.WaitAsync(async () =>
        {
            if (await NodeAsync() is { } node)
            {
                seen.Add(node);
            }

            return seen.Count == 2;
        }, "traffic through the gateway reaches both registered nodes");

        // Continuous load from four clients while node A is stopped gracefully.
        var failures = new ConcurrentQueue<string>();
        var served = new ConcurrentDictionary<string, int>();
        using var stopLoad = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stopLoad.IsCancellationRequested)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{gateway.Port}/orders/42");
                    request.Headers.Add("serviceName", "orders");
                    using var response = await client.SendAsync(request);
                    var body = await response.Content.ReadAsStringAsync();
                    if (!response.IsSuccessStatusCode)
                    {
                        failures.Enqueue($"{(int)response.StatusCode}: {body}");
                        continue;
                    }

                    served.AddOrUpdate(JsonDocument.Parse(body).RootElement.GetProperty("node").GetString()!, 1, (_, n) => n + 1);
                }
                catch (HttpRequestException ex)
                {
                    failures.Enqueue(ex.Message);
                }
            }
        })).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(1));
        var servedByABeforeStop = served.GetValueOrDefault("orders-a");
        await a.StopGracefullyAsync(TimeSpan.FromSeconds(40));
        var servedByAAtExit = served.GetValueOrDefault("orders-a");
        await Task.Delay(TimeSpan.FromSeconds(1));
        await stopLoad.CancelAsync();
        await Task.WhenAll(load);

        var logs = cluster.Logs();
        Assert.True(failures.IsEmpty, $"{failures.Count} failed request(s), e.g. {failures.FirstOrDefault()}\n{logs}");
        Assert.True(servedByABeforeStop > 0, $"node A served nothing before its stop\n{logs}");
        Assert.Equal(servedByAAtExit, served.GetValueOrDefault("orders-a")); // nothing reached A after it exited
        Assert.True(served.GetValueOrDefault("orders-b") > 0);
        Assert.Contains("deregistered node", a.Output, StringComparison.Ordinal);

        var service = (await cluster.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{group}/services/orders")).GetProperty("service");
        var node = Assert.Single(service.GetProperty("nodes").EnumerateArray());
        Assert.Equal("orders-b", node.GetProperty("metadata").GetProperty("node").GetString());
        Assert.False(b.HasExited);
    }

    private static GatehouseProcess StartNode(ScenarioCluster cluster, string node) =>
        cluster.StartProcess(node, "demo", "--service", "orders", "--port", GatehouseProcess.FreePort().ToString(), "--node", node,
            "--registry", cluster.AdminUrl, "--group", Group, "--registry-token", ScenarioCluster.RegistryToken);
}
