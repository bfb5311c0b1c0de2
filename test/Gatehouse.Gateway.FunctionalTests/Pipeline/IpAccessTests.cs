using System.Net;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Pipeline;

/// <summary>IP allow / deny lists and the client address behind trusted proxies, on real sockets from 127.0.0.1.</summary>
public class IpAccessTests
{
    private static string Config(string address, string[]? hashNodes = null) => $$"""
        global:
          ipAccess: { deny: [ "192.0.2.0/24" ] }
        services:
          - name: s
            nodes: [ { address: "{{address}}" } ]
            policy:
              ipAccess: { allow: [ "127.0.0.0/8", "::1" ] }
            apis:
              - id: open
                path: /open
              - id: internal
                path: /internal
                policy: { ipAccess: { allow: [ "10.0.0.0/8" ] } }
              - id: denied
                path: /denied
                policy: { ipAccess: { deny: [ "127.0.0.1" ] } }
          - name: mapped
            nodes: [ { address: "{{address}}" } ]
            policy: { ipAccess: { allow: [ "::ffff:127.0.0.0/104" ] } }
            apis: [ { id: all, path: "/**" } ]
          - name: p
            nodes: [ { address: "{{address}}" } ]
            policy: { ipAccess: { allow: [ "10.0.0.0/8" ] } }
            apis:
              - id: all
                path: "/**"
                policy: { ipAccess: { deny: [ "10.6.6.6" ] } }
              - id: limited
                path: /limited
                policy:
                  rateLimit: { limit: 1, windowMs: 600000, key: { source: clientIp } }
          - name: h
            policy: { loadBalancer: { kind: consistentHash, hashKey: { source: clientIp } } }
            nodes:
              - { address: "{{hashNodes?[0] ?? address}}", id: n1 }
              - { address: "{{hashNodes?[1] ?? address}}", id: n2 }
              - { address: "{{hashNodes?[2] ?? address}}", id: n3 }
            apis: [ { id: all, path: "/**" } ]
        """;

    private static async Task<HttpResponseMessage> SendAsync(GatewayTestHost gw, string service, string path, string? forwardedFor = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("serviceName", service);
        if (forwardedFor is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        }

        return await gw.Client.SendAsync(request);
    }

    private static async Task AssertForbiddenAsync(HttpResponseMessage response, string level)
    {
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("forbidden", json.GetProperty("code").GetString());
        Assert.Contains($"by the {level} IP access list", json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Levels_AllMustPass_DenyWins_AllowListNarrows()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        using (var open = await SendAsync(gw, "s", "/open"))
        {
            Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        }

        // The service allows 127/8, but the API's own allow list (10/8) must pass too.
        await AssertForbiddenAsync(await SendAsync(gw, "s", "/internal"), "api");
        // Deny wins over the service's allow of the same address.
        await AssertForbiddenAsync(await SendAsync(gw, "s", "/denied"), "api");
        // Service p allows only 10/8: the loopback client is outside it.
        await AssertForbiddenAsync(await SendAsync(gw, "p", "/x"), "service");
        Assert.Equal(1, backend.RequestCount);
    }

    [Fact]
    public async Task SpoofedForwardedFor_FromUntrustedPeer_Ignored()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        // No trusted proxies (the default): the header cannot move the client into 10/8...
        await AssertForbiddenAsync(await SendAsync(gw, "p", "/x", "10.1.2.3"), "service");
        // ...nor out of the allowed range.
        using var allowed = await SendAsync(gw, "s", "/open", "192.0.2.1");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        // The chain is still passed on, with the real peer appended.
        Assert.Equal("192.0.2.1, 127.0.0.1", backend.Seen.Single().Headers["X-Forwarded-For"]);
    }

    [Fact]
    public async Task TrustedPeer_ForwardedForWalkedRightToLeft()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address), null,
            "--Gatehouse:Gateway:TrustedProxies:0", "127.0.0.1", "--Gatehouse:Gateway:TrustedProxies:1", "172.16.0.0/12");

        using (var ok = await SendAsync(gw, "p", "/x", "10.1.2.3"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        await AssertForbiddenAsync(await SendAsync(gw, "p", "/x", "10.6.6.6"), "api");
        // Trusted hops are skipped: the client is the first untrusted address from the right.
        await AssertForbiddenAsync(await SendAsync(gw, "p", "/x", "10.6.6.6, 172.16.0.9, 127.0.0.1"), "api");
        // What is left of the first untrusted address was written by the client and is not believed.
        using (var spoofLeft = await SendAsync(gw, "p", "/x", "10.6.6.6, 10.1.2.3"))
        {
            Assert.Equal(HttpStatusCode.OK, spoofLeft.StatusCode);
        }

        // The global deny applies to the resolved client as well.
        await AssertForbiddenAsync(await SendAsync(gw, "s", "/open", "192.0.2.1"), "global");

        Assert.Equal("10.6.6.6, 10.1.2.3, 127.0.0.1", backend.Seen.Last().Headers["X-Forwarded-For"]);
    }

    [Fact]
    public async Task TrustedPeer_RateLimitAndHashKeysUseResolvedClient()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var n1 = await EchoBackend.StartAsync("n1");
        await using var n2 = await EchoBackend.StartAsync("n2");
        await using var n3 = await EchoBackend.StartAsync("n3");
        var yaml = Config(backend.Address, [n1.Address, n2.Address, n3.Address]);
        await using var gw = await GatewayTestHost.StartAsync(yaml, null, "--Gatehouse:Gateway:TrustedProxies:0", "127.0.0.1");

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(gw, "p", "/limited", "10.1.2.3")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(gw, "p", "/limited", "10.1.2.3")).StatusCode);
        // Another client behind the same proxy has its own counter.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(gw, "p", "/limited", "10.1.2.4")).StatusCode);

        // Consistent hash by client IP: each client keeps its node, and different clients spread over the nodes.
        var nodesSeen = new HashSet<string>();
        for (var i = 1; i <= 30; i++)
        {
            string? first = null;
            for (var repeat = 0; repeat < 3; repeat++)
            {
                using var response = await SendAsync(gw, "h", "/x", $"10.0.{i}.1");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var node = (await response.Content.ReadAsStringAsync()).Split('|')[0];
                first ??= node;
                Assert.Equal(first, node);
            }

            nodesSeen.Add(first!);
        }

        Assert.True(nodesSeen.Count > 1, "30 clients all hashed to one node");
    }

    [Fact]
    public async Task DualModeSocket_MappedPeer_MatchesIpv4Rules()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address), null, "--listen", "::");

        // The client connects over IPv4; the dual-mode socket reports ::ffff:127.0.0.1.
        using (var mapped = await SendAsync(gw, "mapped", "/x"))
        {
            Assert.Equal(HttpStatusCode.OK, mapped.StatusCode);
        }

        using (var v4Rule = await SendAsync(gw, "s", "/open"))
        {
            Assert.Equal(HttpStatusCode.OK, v4Rule.StatusCode);
        }

        await AssertForbiddenAsync(await SendAsync(gw, "s", "/denied"), "api");
        Assert.Equal("127.0.0.1", backend.Seen.Last().Headers["X-Forwarded-For"]);
    }
}
