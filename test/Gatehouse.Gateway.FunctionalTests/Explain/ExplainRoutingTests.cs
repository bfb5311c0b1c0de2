using System.Diagnostics;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Explain;

/// <summary><c>POST /control/explain</c>: every reason a node is left out, and the balancer's pick where it is deterministic.</summary>
public sealed class ExplainRoutingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Fleet_EveryNodeLeftOutIsNamedWithItsReason()
    {
        await using var gw = await ExplainKit.StartAsync("""
            services:
              - name: fleet
                healthCheck: { enabled: false }
                nodes:
                  - { id: ok, address: "http://127.0.0.1:9", loc: dc1 }
                  - { id: off, address: "http://127.0.0.1:9", loc: dc1, online: false }
                  - { id: expired, address: "http://127.0.0.1:9", loc: dc1, metadata: { gatehouse.registry.state: expired } }
                  - { id: tagged, address: "http://127.0.0.1:9", loc: dc1, gray: [beta] }
                  - { id: far, address: "http://127.0.0.1:9", loc: dc2 }
                apis: [ { id: all, path: "/**" } ]
            """, loc: "dc1");

        var e = await ExplainKit.ExplainAsync(gw, new { method = "GET", path = "/x", headers = new { serviceName = "fleet" } });

        Assert.Equal("forward", e.Str("outcome"));
        Assert.Null(ExplainKit.Reason(e, "ok"));
        Assert.Equal("offline", ExplainKit.Reason(e, "off"));
        Assert.Equal("registry_expired", ExplainKit.Reason(e, "expired"));
        Assert.Equal("gray_tag", ExplainKit.Reason(e, "tagged"));
        Assert.Equal("not_nearest", ExplainKit.Reason(e, "far"));
        Assert.Contains("dc2", ExplainKit.Node(e, "far").Str("detail"), StringComparison.Ordinal);
        var set = Assert.Single(e.GetProperty("routing").GetProperty("sets").EnumerateArray());
        Assert.Equal(["ok"], set.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal("roundRobin", set.Str("balancer", "kind"));

        // A gray request goes to the tagged node; the untagged ones are left out for lacking the tag.
        var gray = await ExplainKit.ExplainAsync(gw, new { method = "GET", path = "/x", headers = new { serviceName = "fleet", gray = "beta" } });
        Assert.True(gray.GetProperty("routing").GetProperty("gray").GetProperty("selected").GetBoolean());
        Assert.Null(ExplainKit.Reason(gray, "tagged"));
        Assert.Equal("gray_tag", ExplainKit.Reason(gray, "ok"));
        Assert.Equal("offline", ExplainKit.Reason(gray, "off"));
    }

    [Fact]
    public async Task UnhealthyNode_IsLeftOut_AndWithNoneLeftTheOutcomeIs503()
    {
        await using var live = await EchoBackend.StartAsync("live");
        await using var gw = await ExplainKit.StartAsync($$"""
            services:
              - name: s
                healthCheck: { path: /health, intervalMs: 100, timeoutMs: 80, unhealthyThreshold: 1 }
                nodes:
                  - { id: up, address: "{{live.Address}}" }
                  - { id: down, address: "http://127.0.0.1:9" }
                apis: [ { id: all, path: "/**" } ]
              - name: dead
                healthCheck: { path: /health, intervalMs: 100, timeoutMs: 80, unhealthyThreshold: 1 }
                nodes: [ { id: gone, address: "http://127.0.0.1:9" } ]
                apis: [ { id: all, path: "/**" } ]
            """);

        var watch = Stopwatch.StartNew();
        while (ExplainKit.Reason(await ExplainKit.ExplainAsync(gw, new { method = "GET", path = "/x", headers = new { serviceName = "s" } }), "down") is null)
        {
            Assert.True(watch.Elapsed < Patience, "the dead node was never marked unhealthy: " + await ExplainKit.ExplainAsync(gw, new { method = "GET", path = "/x", headers = new { serviceName = "s" } }));
            await Task.Delay(50);
        }

        var e = await ExplainKit.ExplainAsync(gw, new { method = "GET", path = "/x", headers = new { serviceName = "s" } });
        Assert.Equal("unhealthy", ExplainKit.Reason(e, "down"));
        Assert.False(ExplainKit.Node(e, "down").GetProperty("healthy").GetBoolean());
        Assert.Null(ExplainKit.Reason(e, "up"));

        var dead = await ExplainKit.ExplainAsync(gw, new { method = "GET", path = "/x", headers = new { serviceName = "dead" } });
        Assert.Equal(("no_available_node", 503), (dead.Str("outcome"), dead.GetProperty("status").GetInt32()));
        Assert.Equal("unhealthy", ExplainKit.Reason(dead, "gone"));
    }

    [Fact]
    public async Task BlueGreenAndCanary_OtherVersionAndOtherSideAreNamed()
    {
        await using var gw = await ExplainKit.StartAsync("""
            services:
              - name: bg
                healthCheck: { enabled: false }
                activeVersion: v1
                nodes:
                  - { id: blue, address: "http://127.0.0.1:9", version: v1 }
                  - { id: green, address: "http://127.0.0.1:9", version: v2 }
                apis: [ { id: all, path: "/**" } ]
              - name: all-canary
                healthCheck: { enabled: false }
                policy: { canary: { version: v2, percent: 100 } }
                nodes:
                  - { id: stable, address: "http://127.0.0.1:9", version: v1 }
                  - { id: next, address: "http://127.0.0.1:9", version: v2 }
                apis: [ { id: all, path: "/**" } ]
              - name: split
                healthCheck: { enabled: false }
                policy: { canary: { version: v2, percent: 30 } }
                nodes:
                  - { id: stable, address: "http://127.0.0.1:9", version: v1 }
                  - { id: next, address: "http://127.0.0.1:9", version: v2 }
                apis: [ { id: all, path: "/**" } ]
              - name: sticky
                healthCheck: { enabled: false }
                policy: { canary: { version: v2, percent: 50, sticky: { source: header, name: X-User } } }
                nodes:
                  - { id: stable, address: "http://127.0.0.1:9", version: v1 }
                  - { id: next, address: "http://127.0.0.1:9", version: v2 }
                apis: [ { id: all, path: "/**" } ]
            """);

        var bg = await ExplainKit.ExplainAsync(gw, new { method = "GET", path = "/x", headers = new { serviceName = "bg" } });
        Assert.Null(ExplainKit.Reason(bg, "blue"));
        Assert.Equal("blue_green_version", ExplainKit.Reason(bg, "green"));
        Assert.Equal("v1", bg.Str("routing", "activeVersion"));

        var canary = await ExplainKit.ExplainAsync(gw, new { method = "GET", path = "/x", headers = new { serviceName = "all-canary" } });
        Assert.Equal("canary", canary.Str("routing", "canary", "side"));
        Assert.Null(ExplainKit.Reason(canary, "next"));
        Assert.Equal("canary_side", ExplainKit.Reason(canary, "stable"));

        // A drawn split has no single side: both sets are listed with their shares.
        var split = await ExplainKit.ExplainAsync(gw, new { method = "GET", path = "/x", headers = new { serviceName = "split" } });
        Assert.Equal("drawn", split.Str("routing", "canary", "side"));
        var shares = split.GetProperty("routing").GetProperty("sets").EnumerateArray()
            .Select(s => (s.Str("side"), s.GetProperty("share").GetDouble())).ToArray();
        Assert.Equal([("ordinary", 70.0), ("canary", 30.0)], shares);
        Assert.Null(ExplainKit.Reason(split, "stable"));
        Assert.Null(ExplainKit.Reason(split, "next"));

        // A sticky key decides the side; the same key always gets the same answer, and some key gets each side.
        var sides = new HashSet<string>();
        for (var user = 0; user < 40; user++)
        {
            var sticky = await ExplainKit.ExplainAsync(gw, new { method = "GET", path = "/x", headers = new Dictionary<string, string> { ["serviceName"] = "sticky", ["X-User"] = $"u{user}" } });
            var side = sticky.Str("routing", "canary", "side")!;
            Assert.Contains(side, new[] { "ordinary", "canary" });
            Assert.True(sticky.GetProperty("routing").GetProperty("canary").TryGetProperty("bucket", out _));
            Assert.Equal("canary_side", ExplainKit.Reason(sticky, side == "canary" ? "stable" : "next"));
            sides.Add(side);
        }

        Assert.Equal(2, sides.Count);
    }

    [Fact]
    public async Task ConsistentHash_PickIsTheNodeARealRequestWithThatKeyReaches()
    {
        await using var a = await EchoBackend.StartAsync("a");
        await using var b = await EchoBackend.StartAsync("b");
        await using var c = await EchoBackend.StartAsync("c");
        await using var gw = await ExplainKit.StartAsync($$"""
            services:
              - name: s
                policy: { loadBalancer: { kind: consistentHash, hashKey: { source: header, name: X-User } } }
                nodes:
                  - { id: a, address: "{{a.Address}}" }
                  - { id: b, address: "{{b.Address}}" }
                  - { id: c, address: "{{c.Address}}" }
                apis: [ { id: all, path: "/**" } ]
            """);

        var picked = new HashSet<string>();
        for (var user = 0; user < 12; user++)
        {
            var headers = new Dictionary<string, string> { ["serviceName"] = "s", ["X-User"] = $"user-{user}" };
            var e = await ExplainKit.ExplainAsync(gw, new { method = "GET", path = "/x", headers });
            var balancer = e.GetProperty("routing").GetProperty("sets")[0].GetProperty("balancer");
            Assert.Equal("consistentHash", balancer.Str("kind"));
            Assert.Equal($"user-{user}", balancer.Str("hashKey", "value"));
            var pick = balancer.Str("pick")!;
            picked.Add(pick);

            using var request = new HttpRequestMessage(HttpMethod.Get, "/x");
            request.Headers.Add("serviceName", "s");
            request.Headers.Add("X-User", $"user-{user}");
            using var response = await gw.Client.SendAsync(request);
            Assert.StartsWith(pick + "|", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.True(picked.Count >= 2, "twelve keys all hashed to one node");
    }
}
