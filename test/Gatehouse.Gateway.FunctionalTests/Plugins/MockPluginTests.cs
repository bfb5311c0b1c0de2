using System.Net;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using static Gatehouse.Gateway.FunctionalTests.Plugins.PluginTestKit;

namespace Gatehouse.Gateway.FunctionalTests.Plugins;

/// <summary>The built-in <c>mock</c> filter on a real gateway: a fixed response per API, no node called.</summary>
public class MockPluginTests
{
    private static string Config(string address) => $$"""
        services:
          - name: s
            nodes: [ { address: "{{address}}" } ]
            apis:
              - id: order
                path: "/orders/{id}"
                policy:
                  filters:
                    - name: cors
                      settings: { origins: [ "https://app.example.com" ] }
                    - name: mock
                      settings:
                        status: 201
                        headers: { X-Mock: "yes", Cache-Control: no-store }
                        json: { id: 7, items: [ "a", "b" ], note: "π" }
              - id: text
                path: /text
                policy:
                  filters: [ { name: mock, settings: { status: 503, body: "down for maintenance" } } ]
              - id: empty
                path: /empty
                policy:
                  filters: [ { name: mock } ]
              - id: real
                path: /real
        """;

    [Fact]
    public async Task Mock_FixedResponse_NodeNeverCalled()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        using var json = await SendAsync(gw, HttpMethod.Post, "s", "/orders/1", ("Origin", "https://app.example.com"));
        using var text = await SendAsync(gw, HttpMethod.Get, "s", "/text");
        using var empty = await SendAsync(gw, HttpMethod.Get, "s", "/empty");
        using var head = await SendAsync(gw, HttpMethod.Head, "s", "/orders/2");

        Assert.Equal(HttpStatusCode.Created, json.StatusCode);
        Assert.Equal("""{"id":7,"items":["a","b"],"note":"\u03C0"}""", await json.Content.ReadAsStringAsync());
        Assert.Equal("application/json", Header(json, "Content-Type"));
        Assert.Equal("yes", Header(json, "X-Mock"));
        Assert.Equal("no-store", Header(json, "Cache-Control"));

        // A filter earlier in the list sees the mock's response in its response phase.
        Assert.Equal("https://app.example.com", Header(json, "Access-Control-Allow-Origin"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, text.StatusCode);
        Assert.Equal("down for maintenance", await text.Content.ReadAsStringAsync());
        Assert.Equal("text/plain; charset=utf-8", Header(text, "Content-Type"));

        Assert.Equal(HttpStatusCode.OK, empty.StatusCode);
        Assert.Equal("", await empty.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.Created, head.StatusCode);
        Assert.Equal(42, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());

        Assert.Equal(0, backend.RequestCount);
        using var real = await SendAsync(gw, HttpMethod.Get, "s", "/real");
        Assert.Equal("b|GET|/real", await real.Content.ReadAsStringAsync());
    }
}
