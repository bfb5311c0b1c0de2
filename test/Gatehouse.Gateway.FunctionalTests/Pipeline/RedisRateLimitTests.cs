using System.Net;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Redis.Tests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Pipeline;

/// <summary>Gateways on real Kestrel sharing rate limits through a real redis-server.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisRateLimitTests(RedisServer redis)
{
    private const int SharedUnavailable = 3501;
    private const int SharedAvailable = 3502;
    private const int RedisNotConfigured = 3503;

    private static string Config(string backend, string service, int limit, string fallback = "local") => $$"""
        services:
          - name: {{service}}
            nodes: [ { address: "{{backend}}" } ]
            apis:
              - id: limited
                path: /limited
                policy:
                  rateLimit: { limit: {{limit}}, windowMs: 60000, store: redis, fallback: {{fallback}} }
        """;

    private static async Task<HttpStatusCode> GetAsync(GatewayTestHost gw, string service)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/limited");
        request.Headers.Add("serviceName", service);
        using var response = await gw.Client.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<int> AdmittedAsync(GatewayTestHost gw, string service, int requests)
    {
        var admitted = 0;
        for (var i = 0; i < requests; i++)
        {
            admitted += await GetAsync(gw, service) == HttpStatusCode.OK ? 1 : 0;
        }

        return admitted;
    }

    [Fact]
    public async Task TwoGateways_OneRedis_ShareTheLimit()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        var service = "s" + Guid.NewGuid().ToString("N")[..8];
        var yaml = Config(backend.Address, service, limit: 6);
        await using var a = await GatewayTestHost.StartAsync(yaml, null, "--redis", redis.Address);
        await using var b = await GatewayTestHost.StartAsync(yaml, null, "--redis", redis.Address);
        foreach (var gw in new[] { a, b })
        {
            await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(gw.Logs.Has(SharedAvailable)), TimeSpan.FromSeconds(20), "shared limiting active");
        }

        var admitted = await AdmittedAsync(a, service, 5) + await AdmittedAsync(b, service, 5);

        Assert.Equal(6, admitted);
        Assert.Equal(6, backend.RequestCount);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/limited");
        request.Headers.Add("serviceName", service);
        using var rejected = await a.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.TooManyRequests, rejected.StatusCode);
        var json = JsonDocument.Parse(await rejected.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("rate_limited", json.GetProperty("code").GetString());
        Assert.InRange(int.Parse(rejected.Headers.GetValues("Retry-After").Single()), 1, 10); // 6 per minute: 10 s apart
    }

    [Fact]
    public async Task Start_RedisUnreachable_LocalFallbackGivesThisGatewayItsShare()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        var nobody = RedisServer.FreePort();
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address, "s", limit: 6), null,
            "--redis", $"127.0.0.1:{nobody}", "--Gatehouse:Gateway:RateLimit:GatewayCount", "3");

        Assert.Equal(2, await AdmittedAsync(gw, "s", 8)); // 6 / 3 gateways
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(gw.Logs.Has(SharedUnavailable)), TimeSpan.FromSeconds(20), "outage logged");
        Assert.Single(gw.Logs.Entries, e => e.EventId.Id == SharedUnavailable);
        Assert.Contains($"127.0.0.1:{nobody}", gw.Logs.Entries.Single(e => e.EventId.Id == SharedUnavailable).Message);
    }

    [Fact]
    public async Task FailClosed_RedisUnreachable_Answers429WithUnavailableDetail()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address, "s", limit: 100, fallback: "failClosed"), null,
            "--redis", $"127.0.0.1:{RedisServer.FreePort()}");

        using var request = new HttpRequestMessage(HttpMethod.Get, "/limited");
        request.Headers.Add("serviceName", "s");
        using var response = await gw.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("rate_limited", json.GetProperty("code").GetString());
        Assert.Contains("shared rate limiter is unavailable", json.GetProperty("detail").GetString());
        Assert.Equal(0, backend.RequestCount);
    }

    [Fact]
    public async Task RedisStore_NoRedisConfigured_WarnsOnceAndConfigStaysValid()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address, "s", limit: 3));

        Assert.Equal(3, await AdmittedAsync(gw, "s", 5));
        await gw.ReloadAsync(Config(backend.Address, "s", limit: 4));
        Assert.Single(gw.Logs.Entries, e => e.EventId.Id == RedisNotConfigured);
    }
}
