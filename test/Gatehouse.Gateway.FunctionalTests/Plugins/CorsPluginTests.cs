using System.Net;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using static Gatehouse.Gateway.FunctionalTests.Plugins.PluginTestKit;

namespace Gatehouse.Gateway.FunctionalTests.Plugins;

/// <summary>The built-in <c>cors</c> filter on a real gateway: preflights answered at the gateway, actual requests decorated.</summary>
public class CorsPluginTests
{
    private const string App = "https://app.example.com";

    private static string Config(string address) => $$"""
        services:
          - name: s
            nodes: [ { address: "{{address}}" } ]
            policy:
              filters:
                - name: cors
                  settings:
                    origins: [ "{{App}}" ]
                    methods: [ GET, PUT ]
                    headers: [ Content-Type, X-Token ]
                    exposeHeaders: [ X-Request-Id ]
                    credentials: true
                    maxAgeSeconds: 600
            apis:
              - { id: all, path: "/**" }
          - name: public
            nodes: [ { address: "{{address}}" } ]
            policy:
              filters: [ { name: cors, settings: { origins: [ "*" ] } } ]
            apis: [ { id: all, path: "/**" } ]
          - name: down
            nodes: [ { address: "{{address}}", online: false } ]
            policy:
              filters: [ { name: cors, settings: { origins: [ "{{App}}" ] } } ]
            apis: [ { id: all, path: "/**" } ]
        """;

    [Fact]
    public async Task Preflight_AllowedOrigin_AnsweredAtGatewayWithAllowHeaders()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        using var response = await SendAsync(gw, HttpMethod.Options, "s", "/orders/1",
            ("Origin", App), ("Access-Control-Request-Method", "PUT"), ("Access-Control-Request-Headers", "content-type, x-token"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(App, Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("GET, PUT", Header(response, "Access-Control-Allow-Methods"));
        Assert.Equal("Content-Type, X-Token", Header(response, "Access-Control-Allow-Headers"));
        Assert.Equal("true", Header(response, "Access-Control-Allow-Credentials"));
        Assert.Equal("600", Header(response, "Access-Control-Max-Age"));
        Assert.Contains("Origin", Header(response, "Vary"), StringComparison.Ordinal);
        Assert.Equal(0, backend.RequestCount);
    }

    [Theory]
    [InlineData("https://evil.example", "GET", "")]
    [InlineData(App, "DELETE", "")]
    [InlineData(App, "GET", "X-Other")]
    public async Task Preflight_NotAllowed_403WithoutCorsHeaders(string origin, string method, string requestHeaders)
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));
        var headers = new List<(string, string)> { ("Origin", origin), ("Access-Control-Request-Method", method) };
        if (requestHeaders.Length > 0)
        {
            headers.Add(("Access-Control-Request-Headers", requestHeaders));
        }

        using var response = await SendAsync(gw, HttpMethod.Options, "s", "/orders/1", [.. headers]);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(Header(response, "Access-Control-Allow-Origin"));
        Assert.Null(Header(response, "Access-Control-Allow-Methods"));
        Assert.Contains("\"code\":\"forbidden\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, backend.RequestCount);
    }

    [Fact]
    public async Task ActualRequest_AllowedOriginDecorated_OtherOriginForwardedUndecorated()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        using (var allowed = await SendAsync(gw, HttpMethod.Get, "s", "/orders/1", ("Origin", App)))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            Assert.Equal("b|GET|/orders/1", await allowed.Content.ReadAsStringAsync());
            Assert.Equal(App, Header(allowed, "Access-Control-Allow-Origin"));
            Assert.Equal("true", Header(allowed, "Access-Control-Allow-Credentials"));
            Assert.Equal("X-Request-Id", Header(allowed, "Access-Control-Expose-Headers"));
            Assert.Contains("Origin", Header(allowed, "Vary"), StringComparison.Ordinal);
        }

        using (var other = await SendAsync(gw, HttpMethod.Get, "s", "/orders/1", ("Origin", "https://evil.example")))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
            Assert.Null(Header(other, "Access-Control-Allow-Origin"));
            Assert.Null(Header(other, "Access-Control-Allow-Credentials"));
        }

        using (var noOrigin = await SendAsync(gw, HttpMethod.Get, "s", "/orders/1"))
        {
            Assert.Null(Header(noOrigin, "Access-Control-Allow-Origin"));
        }

        // An OPTIONS request that is not a preflight (no Access-Control-Request-Method) goes to the node.
        using (var options = await SendAsync(gw, HttpMethod.Options, "s", "/orders/1", ("Origin", App)))
        {
            Assert.Equal("b|OPTIONS|/orders/1", await options.Content.ReadAsStringAsync());
        }

        Assert.Equal(4, backend.RequestCount);
    }

    [Fact]
    public async Task AnyOrigin_StarWithoutCredentialsOrVary()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        using var preflight = await SendAsync(gw, HttpMethod.Options, "public", "/x", ("Origin", "https://any.example"),
            ("Access-Control-Request-Method", "POST"));
        using var actual = await SendAsync(gw, HttpMethod.Get, "public", "/x", ("Origin", "https://any.example"));

        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal("*", Header(preflight, "Access-Control-Allow-Origin"));
        Assert.Equal("GET, HEAD, POST", Header(preflight, "Access-Control-Allow-Methods"));
        Assert.Null(Header(preflight, "Access-Control-Allow-Credentials"));
        Assert.Equal("*", Header(actual, "Access-Control-Allow-Origin"));
        Assert.Null(Header(actual, "Vary"));
    }

    [Fact]
    public async Task GatewayError_CarriesCorsHeaders_SoThePageCanReadIt()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        using var response = await SendAsync(gw, HttpMethod.Get, "down", "/x", ("Origin", App));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("no_available_node", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(App, Header(response, "Access-Control-Allow-Origin"));
    }
}
