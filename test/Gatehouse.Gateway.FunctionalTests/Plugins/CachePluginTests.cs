using System.Collections.Concurrent;
using System.Net;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using static Gatehouse.Gateway.FunctionalTests.Plugins.PluginTestKit;

namespace Gatehouse.Gateway.FunctionalTests.Plugins;

/// <summary>
/// The built-in <c>cache</c> filter on a real gateway in front of a real node that counts its calls per path: what is
/// stored and for how long (Cache-Control, Vary, Set-Cookie, Authorization, size), one node call for a crowd of
/// concurrent misses, HEAD from GET entries, its place after the rate limits, a config reload that keeps the entries,
/// and the metrics.
/// </summary>
public sealed class CachePluginTests : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, int> _calls = new();
    private TestBackend? _node;
    private GatewayTestHost? _gw;

    private GatewayTestHost Gw => _gw!;

    private static string Config(string address, int ttl = 30) => $$"""
        services:
          - name: s
            nodes: [ { address: "{{address}}" } ]
            apis:
              - id: c
                path: "/*"
                policy:
                  filters: [ { name: cache, settings: { ttlSeconds: {{ttl}}, maxEntryBytes: 1024, lockTimeoutMs: 5000 } } ]
              - id: limited
                path: "/limited/*"
                policy:
                  rateLimit: { limit: 2, windowMs: 60000 }
                  filters: [ { name: cache } ]
        """;

    public async Task InitializeAsync()
    {
        _node = await TestBackend.StartAsync(async context =>
        {
            var path = context.Request.Path.Value!;
            var n = _calls.AddOrUpdate(path, 1, (_, v) => v + 1);
            var response = context.Response;
            switch (path)
            {
                case "/maxage":
                    response.Headers.CacheControl = "max-age=1";
                    break;
                case "/nostore":
                    response.Headers.CacheControl = "no-store";
                    break;
                case "/private":
                    response.Headers.CacheControl = "private, max-age=60";
                    break;
                case "/public":
                    response.Headers.CacheControl = "public, max-age=60";
                    break;
                case "/cookie":
                    response.Headers.SetCookie = "id=1";
                    break;
                case "/vary":
                    response.Headers.Vary = "Accept-Language";
                    await response.WriteAsync($"{context.Request.Headers.AcceptLanguage} {n}");
                    return;
                case "/slow":
                    await Task.Delay(500);
                    break;
                case "/big":
                    await response.WriteAsync(new string('x', 2048));
                    return;
                case "/error":
                    response.StatusCode = 500;
                    break;
            }

            response.Headers["X-Node"] = "yes";
            await response.WriteAsync($"{path} {n}");
        });
        _gw = await GatewayTestHost.StartAsync(Config(_node.BaseAddress));
    }

    public async Task DisposeAsync()
    {
        await _gw!.DisposeAsync();
        await _node!.DisposeAsync();
    }

    [Fact]
    public async Task Get_SecondRequestIsAHit_WithAgeAndTheNodesHeaders()
    {
        var (first, firstCache) = await GetAsync("/fresh?q=1");
        var (second, secondCache) = await GetAsync("/fresh?q=1");
        var (other, _) = await GetAsync("/fresh?q=2");

        Assert.Equal(("/fresh 1", "MISS"), (first, firstCache));
        Assert.Equal(("/fresh 1", "HIT"), (second, secondCache));
        Assert.Equal("/fresh 2", other);
        using var hit = await SendAsync(Gw, HttpMethod.Get, "s", "/fresh?q=1");
        Assert.Equal("yes", Header(hit, "X-Node"));
        Assert.NotNull(Header(hit, "Age"));
        Assert.NotNull(Header(hit, "X-Request-Id"));
        Assert.Equal("8", Header(hit, "Content-Length"));
    }

    [Theory]
    [InlineData("/nostore")]
    [InlineData("/private")]
    [InlineData("/cookie")]
    [InlineData("/big")]
    [InlineData("/error")]
    public async Task NotStorable_EveryRequestReachesTheNode(string path)
    {
        await GetAsync(path);
        await GetAsync(path);
        Assert.Equal(2, _calls[path]);
    }

    [Fact]
    public async Task MaxAge_DecidesTheLifetime()
    {
        await GetAsync("/maxage");
        await GetAsync("/maxage");
        Assert.Equal(1, _calls["/maxage"]);
        await Task.Delay(1300);
        await GetAsync("/maxage");
        Assert.Equal(2, _calls["/maxage"]);
    }

    [Fact]
    public async Task RequestDirectives_NoCacheRefreshes_NoStoreBypasses()
    {
        await GetAsync("/fresh");
        var (refreshed, _) = await GetAsync("/fresh", ("Cache-Control", "no-cache"));
        Assert.Equal("/fresh 2", refreshed);
        var (cached, state) = await GetAsync("/fresh");
        Assert.Equal(("/fresh 2", "HIT"), (cached, state));
        await GetAsync("/fresh", ("Cache-Control", "no-store"));
        Assert.Equal(3, _calls["/fresh"]);
    }

    [Fact]
    public async Task Vary_OneEntryPerValue()
    {
        var (en1, _) = await GetAsync("/vary", ("Accept-Language", "en"));
        var (de1, _) = await GetAsync("/vary", ("Accept-Language", "de"));
        var (en2, enCache) = await GetAsync("/vary", ("Accept-Language", "en"));
        var (de2, deCache) = await GetAsync("/vary", ("Accept-Language", "de"));
        Assert.Equal(("en 1", "de 2"), (en1, de1));
        Assert.Equal((en1, "HIT", de1, "HIT"), (en2, enCache, de2, deCache));
    }

    [Fact]
    public async Task Authorization_SharedOnlyWhenTheResponseSaysPublic()
    {
        await GetAsync("/fresh", ("Authorization", "Bearer a"));
        await GetAsync("/fresh", ("Authorization", "Bearer a"));
        Assert.Equal(2, _calls["/fresh"]);

        await GetAsync("/public", ("Authorization", "Bearer a"));
        var (_, state) = await GetAsync("/public", ("Authorization", "Bearer b"));
        Assert.Equal("HIT", state);
        Assert.Equal(1, _calls["/public"]);
    }

    [Fact]
    public async Task Stampede_ConcurrentMisses_OneNodeCall()
    {
        var all = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => GetAsync("/slow")));
        Assert.Equal(1, _calls["/slow"]);
        Assert.All(all, r => Assert.Equal("/slow 1", r.Body));
    }

    [Fact]
    public async Task Head_AnsweredFromTheGetEntry()
    {
        await GetAsync("/fresh");
        using var head = await SendAsync(Gw, HttpMethod.Head, "s", "/fresh");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("HIT", Header(head, "X-Cache"));
        Assert.Equal("8", Header(head, "Content-Length"));
        Assert.Equal(1, _calls["/fresh"]);
    }

    [Fact]
    public async Task RunsAfterTheRateLimit_AHitStillCountsAgainstIt()
    {
        await GetAsync("/limited/x");
        var (_, state) = await GetAsync("/limited/x");
        Assert.Equal("HIT", state);
        using var third = await SendAsync(Gw, HttpMethod.Get, "s", "/limited/x");
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
    }

    [Fact]
    public async Task ConfigReload_KeepsTheEntries_MetricsCountHitsAndMisses()
    {
        await GetAsync("/fresh");
        await Gw.ReloadAsync(Config(_node!.BaseAddress, ttl: 40));
        var (_, state) = await GetAsync("/fresh");
        Assert.Equal("HIT", state);

        var metrics = await Gw.Control.GetStringAsync("/metrics");
        Assert.Contains("gatehouse_plugin_cache_requests_total{group=\"default\",service=\"s\",api=\"c\",result=\"hit\"} 1", metrics);
        Assert.Contains("gatehouse_plugin_cache_requests_total{group=\"default\",service=\"s\",api=\"c\",result=\"miss\"} 1", metrics);
        Assert.Contains("# TYPE gatehouse_plugin_cache_bytes gauge", metrics);
    }

    private async Task<(string Body, string? Cache)> GetAsync(string path, params (string Name, string Value)[] headers)
    {
        using var response = await SendAsync(Gw, HttpMethod.Get, "s", path, headers);
        return (await response.Content.ReadAsStringAsync(), Header(response, "X-Cache"));
    }
}
