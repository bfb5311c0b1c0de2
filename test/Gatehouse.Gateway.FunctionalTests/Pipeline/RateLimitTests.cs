using System.Net;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Pipeline;

public class RateLimitTests
{
    private static async Task<HttpResponseMessage> GetAsync(GatewayTestHost gw, string service, string path, string? user = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("serviceName", service);
        if (user is not null)
        {
            request.Headers.Add("X-User", user);
        }

        return await gw.Client.SendAsync(request);
    }

    private static string Config(string address, string apiLimit = "3") => $$"""
        global:
          rateLimit: { limit: 100, windowMs: 60000 }
        services:
          - name: s
            nodes: [ { address: "{{address}}" } ]
            apis:
              - id: limited
                path: /limited
                policy:
                  rateLimit: { limit: {{apiLimit}}, windowMs: 60000, key: { source: header, name: X-User } }
              - id: open
                path: /open
          - name: t
            policy:
              rateLimit: { algorithm: slidingWindow, limit: 2, windowMs: 60000 }
            nodes: [ { address: "{{address}}" } ]
            apis: [ { id: all, path: "/**" } ]
        """;

    [Fact]
    public async Task ApiLimitPerKey_FourthRequestRejectedWithHeaders_OtherKeysUnaffected()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(gw, "s", "/limited", "alice")).StatusCode);
        }

        using var rejected = await GetAsync(gw, "s", "/limited", "alice");
        Assert.Equal(HttpStatusCode.TooManyRequests, rejected.StatusCode);
        var json = JsonDocument.Parse(await rejected.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("rate_limited", json.GetProperty("code").GetString());
        var retryAfter = int.Parse(rejected.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retryAfter, 1, 20); // 3 per minute: the next slot is at most 20 s away
        Assert.Equal("3", rejected.Headers.GetValues("RateLimit-Limit").Single());
        Assert.Equal("0", rejected.Headers.GetValues("RateLimit-Remaining").Single());
        Assert.True(rejected.Headers.Contains("X-Request-Id"));

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(gw, "s", "/limited", "bob")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(gw, "s", "/open")).StatusCode);
        Assert.Equal(5, backend.RequestCount); // the rejected request never reached the backend
    }

    [Fact]
    public async Task ServiceLimit_SharedByItsApis_GlobalLimitCountsEverything()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address).Replace("limit: 100,", "limit: 4,"));

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(gw, "t", "/a")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(gw, "t", "/b")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await GetAsync(gw, "t", "/c")).StatusCode); // service t: 2 per minute

        // Global: 4 per minute across the gateway. The global level admitted (and counted) t's third request
        // before the service level refused it, so s gets exactly one more.
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(gw, "s", "/open")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await GetAsync(gw, "s", "/open")).StatusCode);
    }

    [Fact]
    public async Task Reload_UnchangedLimitKeepsCounters_ChangedLimitStartsOver()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));
        for (var i = 0; i < 3; i++)
        {
            await GetAsync(gw, "s", "/limited", "alice");
        }

        // Another part of the config changes; the API's limit does not: alice stays limited.
        await gw.ReloadAsync(Config(backend.Address) + "\noriginMappings: [ { pathPrefix: /x, service: s } ]\n");
        Assert.Equal(HttpStatusCode.TooManyRequests, (await GetAsync(gw, "s", "/limited", "alice")).StatusCode);

        await gw.ReloadAsync(Config(backend.Address, apiLimit: "5"));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(gw, "s", "/limited", "alice")).StatusCode);
    }
}
