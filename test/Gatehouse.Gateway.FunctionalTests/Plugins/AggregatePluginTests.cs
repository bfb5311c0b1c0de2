using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using static Gatehouse.Gateway.FunctionalTests.Plugins.PluginTestKit;

namespace Gatehouse.Gateway.FunctionalTests.Plugins;

/// <summary>
/// The built-in <c>aggregate</c> filter on a real gateway: one request fans out through the gateway's own routing to
/// three real services (one fast, one slow, one failing) and comes back as one JSON object, under both failure
/// policies; the calls carry the client's credentials and pass the called APIs' own policies.
/// </summary>
public sealed class AggregatePluginTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<string> _seen = new();
    private TestBackend? _product;
    private TestBackend? _reviews;
    private TestBackend? _inventory;
    private GatewayTestHost? _gw;

    public async Task InitializeAsync()
    {
        _product = await TestBackend.StartAsync(async context =>
        {
            _seen.Enqueue($"product {context.Request.Path}{context.Request.QueryString} auth={context.Request.Headers.Authorization} hops={context.Request.Headers["X-Gatehouse-Hops"]}");
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"id":"{{context.Request.Query["id"]}}","name":"Lamp","price":12.5}""");
        });
        _reviews = await TestBackend.StartAsync(async context =>
        {
            await Task.Delay(2_000, context.RequestAborted);
            await context.Response.WriteAsync("[]");
        });
        _inventory = await TestBackend.StartAsync(context =>
        {
            context.Response.StatusCode = 500;
            return Task.CompletedTask;
        });
        _gw = await GatewayTestHost.StartAsync($$"""
            services:
              - name: product
                nodes: [ { address: "{{_product.BaseAddress}}" } ]
                apis:
                  - { id: get, path: /products }
                  - { id: text, path: /plain }
              - name: reviews
                healthCheck: { passive: { enabled: false } }
                nodes: [ { address: "{{_reviews.BaseAddress}}" } ]
                apis: [ { id: list, path: /reviews } ]
              - name: inventory
                healthCheck: { passive: { enabled: false } }
                nodes: [ { address: "{{_inventory.BaseAddress}}" } ]
                apis: [ { id: stock, path: /stock, policy: { retry: { maxAttempts: 1 } } } ]
              - name: page
                nodes: [ { address: "{{_product.BaseAddress}}" } ]
                apis:
                  - id: partial
                    path: /page
                    policy:
                      filters:
                        - name: aggregate
                          settings:
                            calls:
                              product: { path: "/products?id=${query.id}", headers: { serviceName: product } }
                              reviews: { path: "/reviews?product=${query.id}", headers: { serviceName: reviews }, timeoutMs: 300 }
                              stock: { path: "/stock", headers: { serviceName: inventory } }
                  - id: strict
                    path: /strict
                    policy:
                      filters:
                        - name: aggregate
                          settings:
                            onError: fail
                            calls:
                              product: { path: "/products?id=${query.id}", headers: { serviceName: product } }
                              reviews: { path: "/reviews", headers: { serviceName: reviews }, timeoutMs: 300 }
                  - id: ok
                    path: /ok
                    policy:
                      filters:
                        - name: aggregate
                          settings:
                            calls:
                              a: { path: "/products?id=1", headers: { serviceName: product } }
                              b: { path: "/products?id=2", headers: { serviceName: product } }
                              missing: { path: "/nowhere", headers: { serviceName: product } }
                            onError: partial
            """);
    }

    public async Task DisposeAsync()
    {
        await _gw!.DisposeAsync();
        foreach (var backend in new[] { _product, _reviews, _inventory })
        {
            await backend!.DisposeAsync();
        }
    }

    [Fact]
    public async Task Partial_OneSlowOneFailing_MergesWhatCameBack_AndNamesTheFailures()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var response = await SendAsync(_gw!, HttpMethod.Get, "page", "/page?id=a%26b", ("Authorization", "Bearer t0k"));
        var elapsed = started.Elapsed;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", Header(response, "Content-Type"));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;
        Assert.Equal("a&b", root.GetProperty("product").GetProperty("id").GetString());
        Assert.Equal(12.5, root.GetProperty("product").GetProperty("price").GetDouble());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("reviews").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("stock").ValueKind);
        Assert.Equal("timed out after 300 ms", root.GetProperty("errors").GetProperty("reviews").GetString());
        Assert.Equal("status 500", root.GetProperty("errors").GetProperty("stock").GetString());

        // In parallel, bounded by the slow call's timeout, not by the slow node.
        Assert.True(elapsed < TimeSpan.FromMilliseconds(1_500), $"took {elapsed}");

        // The call went through the gateway: the query value escaped, the client's credentials and a hop count on it.
        Assert.Contains("product /products?id=a%26b auth=Bearer t0k hops=2", _seen);
    }

    [Fact]
    public async Task Fail_AnyCallFailing_Is502ProblemNamingIt()
    {
        using var response = await SendAsync(_gw!, HttpMethod.Get, "page", "/strict?id=1");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", Header(response, "Content-Type"));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("aggregate_failed", body.RootElement.GetProperty("code").GetString());
        Assert.Contains("reviews: timed out after 300 ms", body.RootElement.GetProperty("detail").GetString());
        Assert.DoesNotContain("product:", body.RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task GatewayErrorsOfACall_AreFailuresOfThatCallOnly()
    {
        using var response = await SendAsync(_gw!, HttpMethod.Get, "page", "/ok");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("1", body.RootElement.GetProperty("a").GetProperty("id").GetString());
        Assert.Equal("2", body.RootElement.GetProperty("b").GetProperty("id").GetString());
        Assert.Equal("status 404", body.RootElement.GetProperty("errors").GetProperty("missing").GetString());
    }
}
