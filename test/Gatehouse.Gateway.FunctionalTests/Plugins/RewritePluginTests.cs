using System.Net;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using static Gatehouse.Gateway.FunctionalTests.Plugins.PluginTestKit;

namespace Gatehouse.Gateway.FunctionalTests.Plugins;

/// <summary>The built-in <c>rewrite</c> filter on a real gateway: what the node receives.</summary>
public class RewritePluginTests
{
    private static string Config(string address) => $$"""
        services:
          - name: s
            nodes: [ { address: "{{address}}" } ]
            apis:
              - id: users
                path: /users/**
                policy:
                  filters:
                    - name: rewrite
                      settings:
                        from: "/users/{id}/orders/{*rest}"
                        to: "/v2/orders/{rest}/by/{id}"
                        query: { remove: [ debug ], add: { via: gateway } }
              - id: legacy
                path: /api/v1/**
                policy:
                  filters: [ { name: rewrite, settings: { regex: "^/api/v1/(.*)$", replacement: "/$1" } } ]
          - name: mapped
            nodes: [ { address: "{{address}}" } ]
            apis:
              - id: all
                path: /**
                policy:
                  filters: [ { name: rewrite, settings: { from: "/shop/old/{*rest}", to: "/new/{rest}" } } ]
        originMappings:
          - { pathPrefix: /shop, service: mapped, stripPrefix: true }
        """;

    [Theory]
    [InlineData("s", "/users/7/orders/9/items?debug=1&keep=2", "b|GET|/v2/orders/9/items/by/7?keep=2&via=gateway")]
    [InlineData("s", "/users/7/profile", "b|GET|/users/7/profile?via=gateway")]
    [InlineData("s", "/api/v1/orders/3?x=1", "b|GET|/orders/3?x=1")]
    public async Task Rewrite_NodeReceivesTheRewrittenPathAndQuery(string service, string path, string expected)
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        using var response = await SendAsync(gw, HttpMethod.Get, service, path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Rewrite_AfterAStrippedPathPrefix_TheRewrittenPathIsFinal()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        // The rewrite sees the path as received (/shop/old/...); the node gets its output, not a stripped version of it.
        // A path the rewrite leaves alone is stripped of the mapping's prefix as usual.
        using var rewritten = await gw.Client.GetAsync("/shop/old/a/b");
        using var untouched = await gw.Client.GetAsync("/shop/other");

        Assert.Equal("b|GET|/new/a/b", await rewritten.Content.ReadAsStringAsync());
        Assert.Equal("b|GET|/other", await untouched.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task BadSettings_ConfigRefusedWithTheField()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));
        var (before, _) = await gw.GetVersionAsync();

        await gw.WriteConfigAsync(Config(backend.Address).Replace("/new/{rest}", "/new/{nope}", StringComparison.Ordinal));
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(gw.Logs.Entries.Any(e => e.EventId.Id == 3101
                && e.Message.Contains("services[mapped].apis[all].policy.filters[0].settings.to: '{nope}' is not a variable of from", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(10), "the bad rewrite was not refused");
        Assert.Equal(before, (await gw.GetVersionAsync()).Version);
    }
}
