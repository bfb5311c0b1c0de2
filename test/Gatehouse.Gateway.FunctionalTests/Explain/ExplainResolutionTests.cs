using System.Net;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Explain;

/// <summary><c>POST /control/explain</c>: every way a service is resolved, each API tier, and the requests that go nowhere.</summary>
public sealed class ExplainResolutionTests : IAsyncLifetime
{
    private const string Config = """
        services:
          - name: orders
            healthCheck: { enabled: false }
            nodes: [ { id: o1, address: "http://127.0.0.1:9" } ]
            apis:
              - { id: list, path: /orders, methods: [GET] }
              - { id: get-order, path: "/orders/{id}", methods: [GET] }
              - { id: reports, match: prefix, path: /reports }
              - { id: by-number, match: regex, path: '/orders/by-number/[0-9]{6}' }
          - name: users
            healthCheck: { enabled: false }
            nodes: [ { id: u1, address: "http://127.0.0.1:9" } ]
            apis: [ { id: all, path: "/users/**" } ]
        originMappings:
          - { domainPrefix: shop, service: orders }
          - { pathPrefix: /users-svc, service: users, stripPrefix: true }
          - { pathPrefix: /legacy, service: orders }
        serviceSets:
          - { tag: set1, services: [ users, orders ] }
        """;

    private GatewayTestHost _gw = null!;

    public async Task InitializeAsync() => _gw = await ExplainKit.StartAsync(Config);

    public async Task DisposeAsync() => await _gw.DisposeAsync();

    private static string[] Verdicts(JsonElement e) => e.GetProperty("resolution").GetProperty("resolvers").EnumerateArray()
        .Select(r => $"{r.GetProperty("resolver").GetString()}:{r.GetProperty("result").GetString()}").ToArray();

    [Fact]
    public async Task Header_NamesTheService_TemplateTier()
    {
        var e = await ExplainKit.ExplainAsync(_gw, new { method = "GET", path = "/orders/42", headers = new { serviceName = "orders" } });

        Assert.Equal("forward", e.Str("outcome"));
        Assert.Equal("header", e.Str("resolution", "by"));
        Assert.Equal("orders", e.Str("resolution", "value"));
        Assert.Equal("orders", e.Str("resolution", "service"));
        Assert.Equal(["header:found"], Verdicts(e));
        Assert.Equal(("get-order", "template"), (e.Str("api", "id"), e.Str("api", "tier")));
        Assert.Equal(1, e.GetProperty("version").GetInt64());
        Assert.Equal("gw-test", e.Str("gateway", "nodeId"));
    }

    [Fact]
    public async Task Query_NamesTheService_ExactTier()
    {
        var e = await ExplainKit.ExplainAsync(_gw, new { method = "GET", path = "/orders", query = "serviceName=orders&x=1" });

        Assert.Equal("query", e.Str("resolution", "by"));
        Assert.Equal(["header:not_applicable", "query:found"], Verdicts(e));
        Assert.Equal(("list", "exact"), (e.Str("api", "id"), e.Str("api", "tier")));
    }

    [Fact]
    public async Task DomainPrefix_FirstHostLabel_PrefixAndRegexTiers()
    {
        var e = await ExplainKit.ExplainAsync(_gw, new { method = "GET", path = "/reports/2026", headers = new { Host = "shop.example.com" } });

        Assert.Equal(("domainPrefix", "shop", "orders"), (e.Str("resolution", "by"), e.Str("resolution", "value"), e.Str("resolution", "service")));
        Assert.Equal(["header:not_applicable", "query:not_applicable", "domainPrefix:found"], Verdicts(e));
        Assert.Equal(("reports", "prefix"), (e.Str("api", "id"), e.Str("api", "tier")));

        var regex = await ExplainKit.ExplainAsync(_gw, new { method = "GET", path = "/orders/by-number/123456", headers = new { Host = "shop.example.com" } });
        Assert.Equal(("by-number", "regex"), (regex.Str("api", "id"), regex.Str("api", "tier")));
    }

    [Fact]
    public async Task PathPrefix_WithStrip_MatchesAndForwardsTheRest()
    {
        var e = await ExplainKit.ExplainAsync(_gw, new { method = "GET", path = "/users-svc/users/7" });

        Assert.Equal(("pathPrefix", "/users-svc", "users"), (e.Str("resolution", "by"), e.Str("resolution", "value"), e.Str("resolution", "service")));
        Assert.True(e.GetProperty("resolution").GetProperty("stripPrefix").GetBoolean());
        Assert.Equal(10, e.GetProperty("resolution").GetProperty("stripLength").GetInt32());
        Assert.Equal("/users/7", e.Str("resolution", "matchPath"));
        Assert.Equal(["header:not_applicable", "query:not_applicable", "domainPrefix:not_applicable", "pathPrefix:found"], Verdicts(e));
        Assert.Equal(("all", "wildcard"), (e.Str("api", "id"), e.Str("api", "tier")));

        // Without strip the prefix stays part of the path the API is matched against.
        var kept = await ExplainKit.PostAsync(_gw, new { method = "GET", path = "/legacy/orders" });
        Assert.Equal(HttpStatusCode.OK, kept.Status);
        Assert.False(kept.Json.GetProperty("resolution").GetProperty("stripPrefix").GetBoolean());
        Assert.Equal(("/legacy", "/legacy/orders"), (kept.Json.Str("resolution", "value"), kept.Json.Str("resolution", "matchPath")));
        Assert.Equal("api_not_found", kept.Json.Str("outcome"));
    }

    [Theory]
    [InlineData("set1")]
    [InlineData("SET1")] // tags are unique ignoring case, so they are matched ignoring case
    public async Task ScTag_TriesTheSetInOrder_FirstWithAMatchingApiServes(string tag)
    {
        var e = await ExplainKit.ExplainAsync(_gw, new { method = "GET", path = "/orders/42", headers = new { scTag = tag } });

        Assert.Equal("scTag", e.Str("resolution", "by"));
        Assert.Equal(["users", "orders"], e.GetProperty("resolution").GetProperty("serviceSet").EnumerateArray().Select(s => s.GetString()));
        var tried = e.GetProperty("resolution").GetProperty("servicesTried").EnumerateArray()
            .Select(t => $"{t.GetProperty("service").GetString()}={(t.TryGetProperty("api", out var a) ? a.GetString() : "none")}").ToArray();
        Assert.Equal(["users=none", "orders=get-order"], tried);
        Assert.Equal("orders", e.Str("resolution", "service"));
        Assert.Equal("header:not_applicable", Verdicts(e)[0]);
        Assert.Equal("scTag:found", Verdicts(e)[^1]);
    }

    [Fact]
    public async Task NothingResolves_Or_UnknownName_Or_NoApi_SaysWhatTheRequestWouldGet()
    {
        var none = await ExplainKit.ExplainAsync(_gw, new { method = "GET", path = "/nothing" });
        Assert.Equal(("service_not_found", 404), (none.Str("outcome"), none.GetProperty("status").GetInt32()));
        Assert.All(Verdicts(none), v => Assert.EndsWith(":not_applicable", v, StringComparison.Ordinal));
        Assert.Equal(5, Verdicts(none).Length);

        var unknown = await ExplainKit.ExplainAsync(_gw, new { method = "GET", path = "/x", headers = new { serviceName = "billing" } });
        Assert.Equal("service_not_found", unknown.Str("outcome"));
        Assert.Equal(["header:unknown_name"], Verdicts(unknown));
        Assert.Contains("'billing'", unknown.Str("detail"), StringComparison.Ordinal);

        // The path matches get-order, but only for GET.
        var method = await ExplainKit.ExplainAsync(_gw, new { method = "DELETE", path = "/orders/42", headers = new { serviceName = "orders" } });
        Assert.Equal(("api_not_found", 404), (method.Str("outcome"), method.GetProperty("status").GetInt32()));
        Assert.False(method.TryGetProperty("routing", out _));
    }
}
