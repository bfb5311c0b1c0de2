using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Gateway.FunctionalTests.Pipeline;

/// <summary>Active and passive health checks against real Kestrel backends, through a real gateway.</summary>
public class HealthCheckTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    /// <summary>A backend whose <c>/health</c> answers a switchable status and whose other paths a switchable one; counts both.</summary>
    private sealed class Node : IAsyncDisposable
    {
        private int _healthHits;
        private int _apiHits;

        private Node(EchoBackend backend) => Backend = backend;

        public EchoBackend Backend { get; }

        public string Address => Backend.Address;

        public volatile int HealthStatus = 200;

        public volatile int ApiStatus = 200;

        public int HealthHits => Volatile.Read(ref _healthHits);

        public int ApiHits => Volatile.Read(ref _apiHits);

        public static async Task<Node> StartAsync(string name)
        {
            Node? node = null;
            var backend = await EchoBackend.StartAsync(name, async context =>
            {
                if (context.Request.Path == "/health")
                {
                    Interlocked.Increment(ref node!._healthHits);
                    context.Response.StatusCode = node.HealthStatus;
                    return;
                }

                Interlocked.Increment(ref node!._apiHits);
                context.Response.StatusCode = node.ApiStatus;
                await context.Response.WriteAsync(name);
            });
            node = new Node(backend);
            return node;
        }

        public ValueTask DisposeAsync() => Backend.DisposeAsync();
    }

    private static string Config(string check, params (string Id, string Address, string Extra)[] nodes) => $$"""
        services:
          - name: s
            healthCheck: {{check}}
            nodes:
        {{string.Join("\n", nodes.Select(n => $"      - {{ id: {n.Id}, address: \"{n.Address}\" {n.Extra} }}"))}}
            apis: [ { id: all, path: "/**" } ]
        """;

    private static NodeState State(GatewayTestHost gw, string id) =>
        gw.Services.GetRequiredService<NodeStateRegistry>().GetOrAdd("s", id);

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < Patience, $"timed out waiting until {what}");
            await Task.Delay(50);
        }
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(GatewayTestHost gw)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Add("serviceName", "s");
        using var response = await gw.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task HealthEndpointToggles_NodeLeavesAndRejoinsRotation()
    {
        await using var a = await Node.StartAsync("a");
        await using var b = await Node.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(
            "{ path: /health, intervalMs: 200, timeoutMs: 150, healthyThreshold: 2, unhealthyThreshold: 2 }",
            ("a", a.Address, ""), ("b", b.Address, "")));

        await WaitUntilAsync(() => a.HealthHits >= 1 && b.HealthHits >= 1, "both nodes are probed");
        a.HealthStatus = 503;
        await WaitUntilAsync(() => !State(gw, "a").Healthy, "a is marked unhealthy");
        Assert.True(State(gw, "b").Healthy);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal((HttpStatusCode.OK, "b"), await GetAsync(gw));
        }

        a.HealthStatus = 200;
        await WaitUntilAsync(() => State(gw, "a").Healthy, "a is healthy again");
        var bodies = new HashSet<string>();
        for (var i = 0; i < 10; i++)
        {
            bodies.Add((await GetAsync(gw)).Body);
        }

        Assert.Equal(["a", "b"], bodies.Order());
    }

    [Fact]
    public async Task StoppedBackend_Unhealthy_AllUnhealthyAnswers503AtOnce()
    {
        var a = await Node.StartAsync("a");
        await using var gw = await GatewayTestHost.StartAsync(Config(
            "{ path: /health, intervalMs: 200, timeoutMs: 150, unhealthyThreshold: 2 }", ("a", a.Address, "")));
        Assert.Equal((HttpStatusCode.OK, "a"), await GetAsync(gw));

        await a.DisposeAsync();
        await WaitUntilAsync(() => !State(gw, "a").Healthy, "the stopped node is marked unhealthy");

        var watch = Stopwatch.StartNew();
        var (status, body) = await GetAsync(gw);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("no_available_node", JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
        // Answered by the gateway without trying the node (generous bound for a loaded machine).
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task SteadyTraffic_SuppressesProbes_IdleNodeIsProbedAgain()
    {
        await using var a = await Node.StartAsync("a");
        await using var gw = await GatewayTestHost.StartAsync(Config(
            "{ path: /health, intervalMs: 500, timeoutMs: 300 }", ("a", a.Address, "")));
        await WaitUntilAsync(() => a.HealthHits >= 1, "the node is probed while idle");

        var before = a.HealthHits;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(3))
        {
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(gw)).Status);
            await Task.Delay(50);
        }

        // 3 s at a 500 ms interval would be 6 probes; real traffic answered for them. One may have been under way.
        Assert.InRange(a.HealthHits - before, 0, 1);

        var idle = a.HealthHits;
        await WaitUntilAsync(() => a.HealthHits > idle, "probing resumes once traffic stops");
    }

    [Fact]
    public async Task PassiveEjection_CoolDown_ThenProbedBackIn()
    {
        await using var a = await Node.StartAsync("a");
        await using var b = await Node.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(
            "{ enabled: false, path: /health, passive: { consecutiveFailures: 3, ejectMs: 1500, countServerErrors: true } }",
            ("a", a.Address, ""), ("b", b.Address, "")));

        a.ApiStatus = 500;
        for (var i = 0; i < 10; i++)
        {
            await GetAsync(gw);
        }

        Assert.Equal(3, a.ApiHits);
        var ejected = Stopwatch.StartNew();
        Assert.False(State(gw, "a").Healthy);
        Assert.Equal(0, a.HealthHits); // active checks are off: no probes before the cool-down
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal((HttpStatusCode.OK, "b"), await GetAsync(gw));
        }

        a.ApiStatus = 200;
        await WaitUntilAsync(() => State(gw, "a").Healthy, "a is probed back in");
        Assert.True(ejected.Elapsed >= TimeSpan.FromSeconds(1.2), $"back after {ejected.Elapsed}, before the cool-down");
        Assert.True(a.HealthHits >= 1);
        var bodies = new HashSet<string>();
        for (var i = 0; i < 10; i++)
        {
            bodies.Add((await GetAsync(gw)).Body);
        }

        Assert.Contains("a", bodies);
    }

    [Fact]
    public async Task OfflineNode_HealthChecksContinue()
    {
        await using var a = await Node.StartAsync("a");
        await using var b = await Node.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(
            "{ path: /health, intervalMs: 200, timeoutMs: 150, unhealthyThreshold: 2 }",
            ("a", a.Address, ", online: false"), ("b", b.Address, "")));

        await WaitUntilAsync(() => a.HealthHits >= 3, "the offline node is probed");
        a.HealthStatus = 503;
        await WaitUntilAsync(() => !State(gw, "a").Healthy, "the offline node's health is still tracked");
        Assert.Equal(0, a.ApiHits);
        Assert.Equal((HttpStatusCode.OK, "b"), await GetAsync(gw));
    }
}
