using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Testing;
using Gatehouse.ZooKeeper.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// Dubbo discovery with real processes: dubbo.ts providers register themselves in a real ZooKeeper in Dubbo's layout
/// (<c>/ROOT/{interface}/providers/{URL}</c>, ephemeral), a real admin mirrors the matching ones into a service declaring
/// <c>discovery.dubbo</c>, a real gateway calls them, next to a static <c>dubbo://</c> node.
/// </summary>
[Collection(ZooKeeperCollection.Name)]
public sealed class DubboDiscoveryScenarioTests(ZooKeeperServer zk, ITestOutputHelper output)
{
    private const string Group = "dubbodisc";
    private const string Root = "dubbo-scenario";
    private const string Interface = "com.gatehouse.test.DemoService";

    [Fact]
    public async Task RegisteredProviders_BecomeNodes_AddedKilledAndStoppedUnderTraffic_OnlyTheKillFails()
    {
        await using var staticProvider = await DubboProviderProcess.StartAsync("static");
        await using var cluster = await ScenarioCluster.StartAsync(
            "--Gatehouse:Admin:Dubbo:ConnectString", zk.ConnectString,
            "--Gatehouse:Admin:Dubbo:Root", "/" + Root,
            "--Gatehouse:Admin:Dubbo:PollInterval", "00:00:00.500");
        await cluster.CreateGroupAsync(Group);
        var service = $$$"""
            {"name":"demo",
             "discovery":{"dubbo":{"interface":"{{{Interface}}}","version":"1.0.0"}},
             "nodes":[{"id":"static","address":"{{{staticProvider.Address}}}"}],
             "apis":[{"id":"whoami","methods":["GET"],"path":"/whoami","protocol":"dubbo",
                      "dubbo":{"interface":"{{{Interface}}}","method":"whoami","version":"1.0.0","parameterTypes":[]}}]}
            """;
        using (var created = await cluster.Admin.PostAsync($"/api/v1/groups/{Group}/services", ScenarioCluster.Json(service)))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        }

        var gateway = cluster.StartGateway(Group, "gw-dubbo", TimeSpan.FromSeconds(10));
        await cluster.WaitReadyAsync(Group, gateway, await cluster.AdminVersionAsync(Group));

        // :: Provider a registers (dubbo.ts's own ZooKeeper registration) and becomes a node; its group-blue registration
        // of the same interface does not match the service's discovery (no group) and adds nothing.
        string[] Registered(params string[] extra) =>
            ["--registry", zk.ConnectString, "--root", Root, "--host", "127.0.0.1", "--session-timeout", "2000", .. extra];
        await using var a = await DubboProviderProcess.StartAsync("a", Registered());
        var nodeA = $"127.0.0.1:{a.Port}";
        await cluster.WaitAsync(async () => (await NodesAsync(cluster)).ContainsKey(nodeA), "provider a mirrored as a node");
        var mirrored = (await NodesAsync(cluster))[nodeA];
        Assert.Equal(a.Address, mirrored.GetProperty("address").GetString());
        Assert.Equal("dubbo", mirrored.GetProperty("source").GetString());
        Assert.Equal(100, mirrored.GetProperty("weight").GetInt32());   // no weight= in the URL: Dubbo's default
        Assert.Equal("1.0.0", mirrored.GetProperty("version").GetString());
        Assert.Equal("gatehouse-test", mirrored.GetProperty("metadata").GetProperty("dubbo.application").GetString());
        Assert.Equal(2, (await NodesAsync(cluster)).Count);             // a and the static node

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var seen = new HashSet<string>();
        await cluster.WaitAsync(async () =>
        {
            if (await CallAsync(client, gateway) is { Node: { } node })
            {
                seen.Add(node);
            }

            return seen.SetEquals(["a", "static"]);
        }, "calls through the gateway reach provider a and the static node");

        // :: Traffic from one client (dubbo.ts decodes one request per TCP read, so calls on one connection must not overlap).
        var failures = new ConcurrentQueue<string>();
        var served = new ConcurrentDictionary<string, int>();
        using var stopLoad = new CancellationTokenSource();
        var load = Task.Run(async () =>
        {
            while (!stopLoad.IsCancellationRequested)
            {
                var result = await CallAsync(client, gateway);
                if (result.Node is { } node)
                {
                    served.AddOrUpdate(node, 1, (_, n) => n + 1);
                }
                else
                {
                    failures.Enqueue(result.Failure!);
                }
            }
        });

        // :: Provider b, weight 300 in its URL, joins while traffic runs and gets calls.
        await using var b = await DubboProviderProcess.StartAsync("b", Registered("--weight", "300", "--drain", "4000"));
        var nodeB = $"127.0.0.1:{b.Port}";
        await cluster.WaitAsync(async () => (await NodesAsync(cluster)).ContainsKey(nodeB), "provider b mirrored as a node");
        Assert.Equal(300, (await NodesAsync(cluster))[nodeB].GetProperty("weight").GetInt32());
        await cluster.WaitAsync(() => Task.FromResult(served.GetValueOrDefault("b") > 0), "calls reach provider b");
        Assert.True(failures.IsEmpty, $"failed before any provider went: {string.Join("; ", failures)}\n{cluster.Logs()}");

        // :: Provider a is killed: its session expires, its znode goes, its node leaves. Only a call in flight at the
        // kill may fail (connection lost mid-call; retried on another node only where the API allows it); later calls
        // to a fail to connect and are retried on another node.
        a.Kill();
        await cluster.WaitAsync(async () => !(await NodesAsync(cluster)).ContainsKey(nodeA), "provider a's node removed after its session expired");
        await cluster.WaitAsync(async () => await cluster.GatewayVersionAsync(gateway) >= await cluster.AdminVersionAsync(Group), "gateway applied the removal");
        var failedByKill = failures.Count;
        Assert.True(failedByKill <= 1, $"{failedByKill} failed calls around the kill: {string.Join("; ", failures)}\n{cluster.Logs()}");
        Assert.All(failures, f => Assert.StartsWith("502", f, StringComparison.Ordinal));

        // :: Weight from the URL: with a gone, b (300) takes three calls for every one of the static node (100).
        var (bBefore, staticBefore) = (served.GetValueOrDefault("b"), served.GetValueOrDefault("static"));
        await cluster.WaitAsync(() => Task.FromResult(served.GetValueOrDefault("static") - staticBefore >= 40), "traffic after the removal");
        var (bShare, staticShare) = (served.GetValueOrDefault("b") - bBefore, served.GetValueOrDefault("static") - staticBefore);
        Assert.InRange(bShare / (double)staticShare, 2.5, 3.5);

        // :: Provider b stops gracefully (SIGTERM: deletes its znodes, serves on for 4 s, exits): no call fails.
        b.Terminate();
        await cluster.WaitAsync(async () => !(await NodesAsync(cluster)).ContainsKey(nodeB), "provider b's node removed when it unregistered");
        await b.WaitForExitAsync(TimeSpan.FromSeconds(20));
        var staticAtExit = served.GetValueOrDefault("static");
        await cluster.WaitAsync(() => Task.FromResult(served.GetValueOrDefault("static") - staticAtExit >= 20), "traffic after b exited");
        await stopLoad.CancelAsync();
        await load;

        Assert.True(failures.Count == failedByKill, $"calls failed after the kill: {string.Join("; ", failures.Skip(failedByKill))}\n{cluster.Logs()}");
        var nodes = await NodesAsync(cluster);
        output.WriteLine($"calls served: {string.Join(", ", served.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}; "
            + $"failed at the kill of a: {failedByKill}; b:static after the kill {bShare}:{staticShare}");
        Assert.Equal(["static"], nodes.Keys);                            // the static node stays, untouched
        Assert.Equal("manual", nodes["static"].GetProperty("source").GetString());
    }

    /// <summary>The service's nodes by effective id (id, else host:port).</summary>
    private static async Task<Dictionary<string, JsonElement>> NodesAsync(ScenarioCluster cluster)
    {
        var body = await cluster.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{Group}/services/demo");
        return body.GetProperty("service").GetProperty("nodes").EnumerateArray().ToDictionary(
            n => n.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString()! : new Uri(n.GetProperty("address").GetString()!).Authority,
            n => n.Clone());
    }

    private static async Task<(string? Node, string? Failure)> CallAsync(HttpClient client, ScenarioGateway gateway)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{gateway.Port}/whoami");
            request.Headers.Add("serviceName", "demo");
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            return response.IsSuccessStatusCode
                ? (JsonDocument.Parse(body).RootElement.GetProperty("node").GetString(), null)
                : (null, $"{(int)response.StatusCode}: {body}");
        }
        catch (HttpRequestException exception)
        {
            return (null, exception.Message);
        }
    }
}
