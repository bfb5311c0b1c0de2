using System.Net;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using static Gatehouse.Gateway.FunctionalTests.Plugins.PluginTestKit;

namespace Gatehouse.Gateway.FunctionalTests.Plugins;

/// <summary>The built-in <c>headers</c> filter on a real gateway: what the node receives and what the client gets back.</summary>
public class HeadersPluginTests
{
    private static string Config(string address) => $$"""
        global:
          filters:
            - name: headers
              settings:
                response: { set: { X-Global: "yes" } }
        services:
          - name: s
            nodes: [ { address: "{{address}}" } ]
            apis:
              - id: rewrite
                path: "/orders/{id}"
                policy:
                  filters:
                    - name: headers
                      settings:
                        request:
                          remove: [ X-Secret ]
                          set:
                            X-Client: "${clientIp}"
                            X-Route: "${method} ${path} for ${service}/${api}"
                            X-Copied: "user=${header.X-User};q=${query.q}"
                            X-Literal: "$${not-a-variable}"
                          add: { X-Multi: "two" }
                        response:
                          remove: [ X-Backend-Internal ]
                          set: { X-Served-By: "gatehouse ${api}", X-Echo-User: "${header.X-User}" }
                          add: { X-Multi-Out: "added" }
              - id: inherits
                path: /inherits
              - id: none
                path: /none
                policy: { filters: [] }
        """;

    [Fact]
    public async Task RequestAndResponseRules_WithRequestVariables()
    {
        await using var backend = await EchoBackend.StartAsync("b", context =>
        {
            context.Response.Headers["X-Backend-Internal"] = "secret";
            context.Response.Headers["X-Multi-Out"] = "from-node";
            return context.Response.WriteAsync("ok");
        });
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        using var response = await SendAsync(gw, HttpMethod.Get, "s", "/orders/7?q=blue",
            ("X-User", "u-42"), ("X-Secret", "s3cr3t"), ("X-Multi", "one"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(backend.Seen);
        Assert.Null(seen.Header("X-Secret"));
        Assert.Equal("127.0.0.1", seen.Header("X-Client"));
        Assert.Equal("GET /orders/7 for s/rewrite", seen.Header("X-Route"));
        Assert.Equal("user=u-42;q=blue", seen.Header("X-Copied"));
        Assert.Equal("${not-a-variable}", seen.Header("X-Literal"));
        Assert.Equal("one, two", seen.Header("X-Multi"));

        Assert.Null(Header(response, "X-Backend-Internal"));
        Assert.Equal("gatehouse rewrite", Header(response, "X-Served-By"));
        Assert.Equal("u-42", Header(response, "X-Echo-User"));
        Assert.Equal("from-node, added", Header(response, "X-Multi-Out"));

        // The API's own list replaces the global one.
        Assert.Null(Header(response, "X-Global"));
    }

    [Fact]
    public async Task Levels_InheritedFromGlobal_EmptyListTurnsThemOff()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        using var inherits = await SendAsync(gw, HttpMethod.Get, "s", "/inherits");
        using var none = await SendAsync(gw, HttpMethod.Get, "s", "/none");

        Assert.Equal("yes", Header(inherits, "X-Global"));
        Assert.Equal(HttpStatusCode.OK, none.StatusCode);
        Assert.Null(Header(none, "X-Global"));
    }
}
