using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Testing;
using Xunit.Abstractions;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// Two real admin processes on one SQLite file and a gateway given both (<c>--admin URL1,URL2</c>): the admin the
/// gateway uses is killed with SIGKILL under load; a change written through the survivor reaches the gateway (pushed
/// by the survivor, pulled from it), its heartbeats move there, and no proxied request fails.
/// </summary>
public sealed class TwoAdminsGatewayFailoverScenarioTests(ITestOutputHelper output)
{
    private const string Group = "twoadmins";

    [Fact]
    public async Task AdminInUseKilled_GatewayMovesToTheOther_ConvergesThroughIt_NoFailedRequest()
    {
        await using var cluster = await ScenarioCluster.StartAsync();
        var secondPort = GatehouseProcess.FreePort();
        var secondUrl = $"http://127.0.0.1:{secondPort}";
        cluster.StartProcess("admin-2", "admin", "--urls", secondUrl,
            "--Gatehouse:Admin:Database", $"Data Source={Path.Combine(cluster.DataDirectory, "admin.db")}",
            "--Gatehouse:Admin:Token", ScenarioCluster.Token,
            "--Gatehouse:Admin:RegistryToken", ScenarioCluster.RegistryToken,
            "--Gatehouse:ControlSecret", ScenarioCluster.Secret);
        using var second = new HttpClient { BaseAddress = new Uri(secondUrl), Timeout = TimeSpan.FromSeconds(10) };
        second.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ScenarioCluster.Token);
        await cluster.WaitAsync(async () => await cluster.StatusAsync(second, "/healthz") == HttpStatusCode.OK, "second admin up");

        var demoPort = GatehouseProcess.FreePort();
        cluster.StartProcess("demo", "demo", "--service", "orders", "--port", demoPort.ToString(), "--node", "orders-1");
        await cluster.CreateGroupAsync(Group);
        using (var created = await cluster.Admin.PostAsync($"/api/v1/groups/{Group}/services", ScenarioCluster.Json(
            $$"""{"name":"orders","nodes":[{"id":"orders-1","address":"http://127.0.0.1:{{demoPort}}"}],"apis":[{"id":"all","path":"/**"}]}""")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        // The timed pull is a minute away: only a push brings the change written later.
        var gateway = cluster.StartGateway(Group, "gw-twoadmins", TimeSpan.FromMinutes(1),
            "--admin", $"{cluster.AdminUrl},{secondUrl}");
        await cluster.WaitReadyAsync(Group, gateway, await cluster.AdminVersionAsync(Group));

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        async Task<HttpStatusCode> SendAsync(string service)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{gateway.Port}/orders/42");
            request.Headers.Add("serviceName", service);
            using var response = await client.SendAsync(request);
            await response.Content.ReadAsStringAsync();
            return response.StatusCode;
        }

        var failures = new ConcurrentQueue<string>();
        var served = 0;
        using var stopLoad = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stopLoad.IsCancellationRequested)
            {
                try
                {
                    var status = await SendAsync("orders");
                    if (status == HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref served);
                    }
                    else
                    {
                        failures.Enqueue(status.ToString());
                    }
                }
                catch (HttpRequestException ex)
                {
                    failures.Enqueue(ex.Message);
                }
            }
        })).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(1));
        await cluster.AdminProcess.KillAsync();

        // A change through the survivor: a new service on the same node.
        var clock = Stopwatch.StartNew();
        using (var created = await second.PostAsync($"/api/v1/groups/{Group}/services", ScenarioCluster.Json(
            $$"""{"name":"billing","nodes":[{"id":"billing-1","address":"http://127.0.0.1:{{demoPort}}"}],"apis":[{"id":"all","path":"/**"}]}""")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var groups = await second.GetFromJsonAsync<JsonElement>("/api/v1/groups");
        var version = groups.EnumerateArray().Single(g => g.GetProperty("name").GetString() == Group).GetProperty("version").GetInt64();
        // (Not cluster.WaitAsync: that gives up as soon as a process of the cluster has exited, as the first admin has.)
        await Eventually.WaitUntilAsync(async () => await cluster.GatewayVersionAsync(gateway) >= version,
            $"the gateway applies version {version} through the second admin");
        var converged = clock.Elapsed;
        Assert.Equal(HttpStatusCode.OK, await SendAsync("billing"));

        // Its heartbeats now reach the survivor, which lists it as live and current.
        await Eventually.WaitUntilAsync(async () =>
        {
            var nodes = await second.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{Group}/gateways");
            return nodes.EnumerateArray().Any(n => n.GetProperty("nodeId").GetString() == gateway.NodeId && n.GetProperty("current").GetBoolean());
        }, "the second admin lists the gateway as current");

        await Task.Delay(TimeSpan.FromSeconds(1));
        await stopLoad.CancelAsync();
        await Task.WhenAll(load);

        Assert.True(failures.IsEmpty, $"{failures.Count} failed request(s), e.g. {failures.FirstOrDefault()}\n{cluster.Logs()}");
        Assert.True(served > 0);
        Assert.Contains("now go to admin " + secondUrl, gateway.Process.Output, StringComparison.Ordinal);
        output.WriteLine($"first admin killed; version {version} written through the second admin applied after {converged.TotalMilliseconds:0} ms; "
            + $"{served} requests served, {failures.Count} failed");
    }
}
