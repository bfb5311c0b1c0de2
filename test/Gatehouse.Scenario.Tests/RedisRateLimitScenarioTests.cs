using System.Globalization;
using System.Net;
using Gatehouse.Redis.Tests.Infrastructure;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// Three real gateway processes, one config file and one Redis — a standalone server, a 3-primary Redis Cluster
/// or a Sentinel-managed primary: a redis-backed limit holds for the three together. Each gateway alone would admit the whole limit (GatewayCount is left at 1), so a total near the
/// limit, not three times it, shows the count is shared.
/// </summary>
public sealed class RedisRateLimitScenarioTests : IAsyncLifetime
{
    private const int Limit = 60;
    private IAsyncLifetime? _redis;
    private readonly List<GatehouseProcess> _processes = [];
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-scenario-rl-").FullName;
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(10) };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        _client.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData("standalone")]
    [InlineData("cluster")]
    [InlineData("sentinel")]
    public async Task ThreeGateways_OneRedis_AdmitTheLimitTogether(string topology)
    {
        var redisAddress = await StartRedisAsync(topology);
        var demoPort = GatehouseProcess.FreePort();
        _processes.Add(GatehouseProcess.Start("demo", "demo", "--service", "orders", "--port", demoPort.ToString(CultureInfo.InvariantCulture)));
        var config = Path.Combine(_dir, "gatehouse.yaml");
        await File.WriteAllTextAsync(config, $$"""
            services:
              - name: orders
                nodes: [ { id: orders-1, address: "http://127.0.0.1:{{demoPort}}" } ]
                apis:
                  - id: all
                    path: "/**"
                    policy:
                      rateLimit: { limit: {{Limit}}, windowMs: 60000, store: redis, fallback: local }
            """);

        var ports = new List<int>();
        for (var i = 1; i <= 3; i++)
        {
            var port = GatehouseProcess.FreePort();
            ports.Add(port);
            _processes.Add(GatehouseProcess.Start($"gw{i}", "gateway", "--config", config,
                "--port", port.ToString(CultureInfo.InvariantCulture),
                "--control-port", GatehouseProcess.FreePort().ToString(CultureInfo.InvariantCulture),
                "--listen", "127.0.0.1", "--node-id", $"gw{i}", "--redis", redisAddress,
                // A loaded test box must not turn a slow reply into a fallback decision.
                "--Gatehouse:Gateway:Redis:CommandTimeout", "00:00:05"));
        }

        await WaitAsync(() => Task.FromResult(_processes.Skip(1).All(p => p.Output.Contains("Shared rate limiting active", StringComparison.Ordinal))),
            "all gateways report shared rate limiting active");
        await WaitAsync(async () => await StatusAsync($"http://127.0.0.1:{demoPort}/healthz") == HttpStatusCode.OK, "demo up");

        // 3 × Limit requests in waves of three, one to each gateway at once. Waves rather than a loop per gateway:
        // on a loaded box one loop could start only after the others had used up the shared limit, so "every gateway
        // admitted some" would test the scheduler, not the limiter.
        var results = ports.Select(_ => new List<HttpStatusCode>()).ToArray();
        for (var i = 0; i < Limit; i++)
        {
            var wave = await Task.WhenAll(ports.Select(port => StatusAsync($"http://127.0.0.1:{port}/orders/{i}", "orders")));
            for (var g = 0; g < wave.Length; g++)
            {
                results[g].Add(wave[g]);
            }
        }

        var all = results.SelectMany(s => s).ToList();
        var admitted = all.Count(s => s == HttpStatusCode.OK);
        var refused = all.Count(s => s == HttpStatusCode.TooManyRequests);
        Assert.True(admitted + refused == all.Count, $"unexpected statuses: {string.Join(",", all.Distinct())}\n{Logs()}");

        // The token bucket admits its burst (= limit) at once and refills 1 per second: allow the requests of a
        // slow run to earn a few more tokens, never anything near 3 × limit.
        Assert.InRange(admitted, Limit, Limit + 10);
        Assert.All(results, r => Assert.Contains(HttpStatusCode.OK, r)); // every gateway admitted some
        Assert.DoesNotContain(_processes, p => p.Output.Contains("Shared rate limiting unavailable", StringComparison.Ordinal));
    }

    private async Task<string> StartRedisAsync(string topology)
    {
        switch (topology)
        {
            case "cluster":
                var cluster = new RedisCluster();
                _redis = cluster;
                await cluster.InitializeAsync();
                return cluster.Address;
            case "sentinel":
                var sentinel = new RedisSentinelSet();
                _redis = sentinel;
                await sentinel.InitializeAsync();
                return sentinel.Address;
            default:
                var server = new RedisServer();
                _redis = server;
                await server.InitializeAsync();
                return server.Address;
        }
    }

    private async Task<HttpStatusCode> StatusAsync(string url, string? service = null)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (service is not null)
            {
                request.Headers.Add("serviceName", service);
            }

            using var response = await _client.SendAsync(request);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    private async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out: {what}\n{Logs()}");
            }

            await Task.Delay(100);
        }
    }

    private string Logs() => string.Join("\n", _processes.Select(p => $"--- {p.Name} ---\n{p.Output}"));
}
