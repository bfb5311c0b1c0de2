using System.Net;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Pipeline;

/// <summary>Resolution, matching, routing and balancing end to end through a real gateway.</summary>
public class GatewayRoutingTests
{
    private static async Task<string> GetAsync(GatewayTestHost gw, string path, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await gw.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return body;
    }

    private static string SingleService(string address) => $$"""
        services:
          - name: s
            nodes: [ { address: "{{address}}" } ]
            apis: [ { id: all, path: "/**" } ]
        """;

    [Fact]
    public async Task HeaderQueryAndMappings_ReachTheirServices()
    {
        await using var orders = await EchoBackend.StartAsync("orders");
        await using var users = await EchoBackend.StartAsync("users");
        await using var gw = await GatewayTestHost.StartAsync($$"""
            services:
              - name: orders
                nodes: [ { address: "{{orders.Address}}" } ]
                apis: [ { id: all, path: "/**" } ]
              - name: users
                nodes: [ { address: "{{users.Address}}" } ]
                apis: [ { id: one, path: "/users/{id}", methods: [GET] } ]
            originMappings:
              - { domainPrefix: shop, service: orders }
              - { pathPrefix: /u, service: users, stripPrefix: true }
            """);

        Assert.Equal("orders|GET|/a/b?x=1", await GetAsync(gw, "/a/b?x=1", ("serviceName", "orders")));
        Assert.Equal("users|GET|/users/7?serviceName=users", await GetAsync(gw, "/users/7?serviceName=users"));
        Assert.Equal("orders|GET|/z", await GetAsync(gw, "/z", ("Host", "shop.example.com")));
        Assert.Equal("users|GET|/users/9?q=%20x", await GetAsync(gw, "/u/users/9?q=%20x"));
    }

    [Fact]
    public async Task ServiceSet_TriesServicesInOrderUntilAnApiMatches()
    {
        await using var a = await EchoBackend.StartAsync("a");
        await using var b = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync($$"""
            services:
              - name: a
                nodes: [ { address: "{{a.Address}}" } ]
                apis: [ { id: only, path: "/a-only" } ]
              - name: b
                nodes: [ { address: "{{b.Address}}" } ]
                apis: [ { id: all, path: "/**" } ]
            serviceSets:
              - { tag: mobile, services: [a, b] }
            """);

        Assert.Equal("a|GET|/a-only", await GetAsync(gw, "/a-only", ("scTag", "mobile")));
        Assert.Equal("b|GET|/else", await GetAsync(gw, "/else", ("scTag", "mobile")));
    }

    [Fact]
    public async Task GrayAndNearest_RouteToTheRightNodes()
    {
        await using var near = await EchoBackend.StartAsync("near");
        await using var far = await EchoBackend.StartAsync("far");
        await using var gray = await EchoBackend.StartAsync("gray");
        await using var gw = await GatewayTestHost.StartAsync($$"""
            services:
              - name: s
                nodes:
                  - { id: near, address: "{{near.Address}}", loc: dc1 }
                  - { id: far, address: "{{far.Address}}", loc: dc2 }
                  - { id: gray, address: "{{gray.Address}}", loc: dc2, gray: [v2] }
                apis: [ { id: all, path: "/**" } ]
            """, loc: "dc1");

        for (var i = 0; i < 10; i++)
        {
            Assert.StartsWith("near|", await GetAsync(gw, "/x", ("serviceName", "s")));
            Assert.StartsWith("gray|", await GetAsync(gw, "/x", ("serviceName", "s"), ("gray", "v2")));
        }

        Assert.Equal(0, far.RequestCount);
    }

    [Fact]
    public async Task SmoothRoundRobin_FollowsWeights()
    {
        await using var a = await EchoBackend.StartAsync("a");
        await using var b = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync($$"""
            services:
              - name: s
                nodes:
                  - { id: a, address: "{{a.Address}}", weight: 300 }
                  - { id: b, address: "{{b.Address}}", weight: 100 }
                apis: [ { id: all, path: "/**" } ]
            """);

        for (var i = 0; i < 40; i++)
        {
            await GetAsync(gw, "/x", ("serviceName", "s"));
        }

        Assert.Equal(30, a.RequestCount);
        Assert.Equal(10, b.RequestCount);
    }

    [Fact]
    public async Task ConnectFailure_RetriedOnAnotherNode_PostToo()
    {
        await using var alive = await EchoBackend.StartAsync("alive");
        var dead = $"http://127.0.0.1:{FreePort.Next()}";
        await using var gw = await GatewayTestHost.StartAsync($$"""
            services:
              - name: s
                healthCheck: { passive: { enabled: false } } # keep the dead node in rotation: this tests the retry
                nodes:
                  - { id: dead, address: "{{dead}}" }
                  - { id: alive, address: "{{alive.Address}}" }
                apis: [ { id: all, path: "/**" } ]
            """);

        // Round robin alternates, so half of these first try the dead node: every GET still succeeds.
        for (var i = 0; i < 20; i++)
        {
            Assert.StartsWith("alive|GET", await GetAsync(gw, "/x", ("serviceName", "s")));
        }

        // A POST is not idempotent, but a refused connect sent nothing: the one of two that hits the dead node is
        // retried too (ConnectFailureRetryTests has the rule in full).
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 2; i++)
        {
            var post = new HttpRequestMessage(HttpMethod.Post, "/x") { Content = new StringContent("body") };
            post.Headers.Add("serviceName", "s");
            statuses.Add((await gw.Client.SendAsync(post)).StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK], statuses);
    }

    [Fact]
    public async Task ForwardedHeaders_SetForUpstream()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(SingleService(backend.Address));

        var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Add("serviceName", "s");
        request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        request.Headers.Add("X-Request-Id", "req-123");
        using var response = await gw.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("req-123", response.Headers.GetValues("X-Request-Id").Single());

        Assert.True(backend.Seen.TryDequeue(out var seen));
        Assert.Equal("127.0.0.1", seen.Header("X-Forwarded-For"));
        Assert.Equal("http", seen.Header("X-Forwarded-Proto"));
        Assert.Equal($"127.0.0.1:{gw.Port}", seen.Header("X-Forwarded-Host"));
        Assert.Equal($"127.0.0.1:{backend.Port}", seen.Header("Host"));
        Assert.Equal("req-123", seen.Header("X-Request-Id"));
        // Same trace, the gateway's own hop as parent (Observability/TracingTests covers the details).
        var traceparent = seen.Header("traceparent")!;
        Assert.StartsWith("00-0af7651916cd43dd8448eb211c80319c-", traceparent);
        Assert.DoesNotContain("b7ad6b7169203331", traceparent);
    }

    [Fact]
    public async Task NoRequestId_GeneratedAndSentBothWays()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(SingleService(backend.Address));
        var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Add("serviceName", "s");
        using var response = await gw.Client.SendAsync(request);
        var id = response.Headers.GetValues("X-Request-Id").Single();
        Assert.False(string.IsNullOrWhiteSpace(id));
        Assert.True(backend.Seen.TryDequeue(out var seen));
        Assert.Equal(id, seen.Header("X-Request-Id"));
    }
}
