using System.Net;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.FunctionalTests.Observability;

public class MetricsEndpointTests
{
    internal static string Config(string address, string deadAddress) => $$"""
        services:
          - name: shop
            nodes: [ { id: shop-1, address: "{{address}}" } ]
            apis:
              - { id: items, path: /items }
              - { id: missing, path: /missing }
              - id: limited
                path: /limited
                policy:
                  rateLimit: { limit: 2, windowMs: 600000 }
          - name: dead
            nodes: [ { id: dead-1, address: "{{deadAddress}}" } ]
            apis: [ { id: all, path: "/**" } ]
        """;

    internal static async Task<EchoBackend> StartBackendAsync() => await EchoBackend.StartAsync("b", async context =>
    {
        // Drain the body so the gateway streams all of it, then answer by path.
        await context.Request.Body.CopyToAsync(Stream.Null);
        context.Response.StatusCode = context.Request.Path == "/missing" ? 404 : 200;
        await context.Response.WriteAsync("0123456789");
    });

    /// <summary>5 × items 200, 3 × missing 404 (from the node), 2 × unknown service, 3 × limited (2 pass, 1 × 429), 1 × dead 502.</summary>
    internal static async Task SendMixAsync(GatewayTestHost gw)
    {
        async Task Send(string service, string path, HttpStatusCode expected, HttpContent? body = null)
        {
            using var request = new HttpRequestMessage(body is null ? HttpMethod.Get : HttpMethod.Post, path) { Content = body };
            request.Headers.Add("serviceName", service);
            using var response = await gw.Client.SendAsync(request);
            Assert.Equal(expected, response.StatusCode);
            await response.Content.ReadAsByteArrayAsync();
        }

        for (var i = 0; i < 4; i++)
        {
            await Send("shop", "/items", HttpStatusCode.OK);
        }

        await Send("shop", "/items", HttpStatusCode.OK, new ByteArrayContent(new byte[1000]));
        for (var i = 0; i < 3; i++)
        {
            await Send("shop", "/missing", HttpStatusCode.NotFound);
        }

        await Send("nope", "/items", HttpStatusCode.NotFound);
        await Send("nope", "/x", HttpStatusCode.NotFound);
        await Send("shop", "/limited", HttpStatusCode.OK);
        await Send("shop", "/limited", HttpStatusCode.OK);
        await Send("shop", "/limited", HttpStatusCode.TooManyRequests);
        await Send("dead", "/any", HttpStatusCode.BadGateway);
    }

    [Fact]
    public async Task KnownRequestMix_CountsPerApiAndStatusClass_HistogramsAndErrors()
    {
        await using var backend = await StartBackendAsync();
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address, $"http://127.0.0.1:{FreePort.Next()}"));

        await SendMixAsync(gw);

        using var response = await gw.Control.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        var metrics = PrometheusText.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal("counter", metrics.Types["gatehouse_requests_total"]);
        Assert.Equal("histogram", metrics.Types["gatehouse_request_duration_seconds"]);
        Assert.Equal(5, metrics.Sum("gatehouse_requests_total", ("service", "shop"), ("api", "items"), ("status_class", "2xx")));
        Assert.Equal(0, metrics.Sum("gatehouse_requests_total", ("service", "shop"), ("api", "items"), ("status_class", "5xx")));
        Assert.Equal(3, metrics.Sum("gatehouse_requests_total", ("api", "missing"), ("status_class", "4xx")));
        Assert.Equal(2, metrics.Sum("gatehouse_requests_total", ("api", "limited"), ("status_class", "2xx")));
        Assert.Equal(1, metrics.Sum("gatehouse_requests_total", ("api", "limited"), ("status_class", "4xx")));
        Assert.Equal(1, metrics.Sum("gatehouse_requests_total", ("service", "dead"), ("status_class", "5xx")));
        Assert.Equal(2, metrics.Sum("gatehouse_requests_total", ("service", ""), ("api", ""), ("status_class", "4xx")));
        Assert.Equal(14, metrics.Sum("gatehouse_requests_total", ("group", "default")));

        // Histograms: one observation per request; upstream one per attempt (the 429 never reached a node).
        Assert.Equal(5, metrics.Sum("gatehouse_request_duration_seconds_count", ("api", "items")));
        Assert.Equal(5, metrics.Sum("gatehouse_request_duration_seconds_bucket", ("api", "items"), ("le", "+Inf")));
        Assert.Equal(3, metrics.Sum("gatehouse_request_duration_seconds_count", ("api", "limited")));
        Assert.Equal(2, metrics.Sum("gatehouse_upstream_duration_seconds_count", ("api", "limited")));
        Assert.Equal(5, metrics.Sum("gatehouse_upstream_duration_seconds_count", ("api", "items")));
        Assert.True(metrics.Sum("gatehouse_request_duration_seconds_sum", ("api", "items")) > 0);

        Assert.Equal(0, metrics.Sum("gatehouse_requests_in_flight"));
        Assert.Equal(1000, metrics.Sum("gatehouse_request_body_bytes_total", ("api", "items")));
        Assert.Equal(50, metrics.Sum("gatehouse_response_body_bytes_total", ("api", "items")));
        Assert.Equal(1, metrics.Sum("gatehouse_rate_limit_rejections_total", ("api", "limited")));
        Assert.Equal(1, metrics.Sum("gatehouse_gateway_errors_total", ("api", "limited"), ("code", "rate_limited")));
        Assert.Equal(2, metrics.Sum("gatehouse_gateway_errors_total", ("service", ""), ("code", "service_not_found")));
        Assert.Equal(1, metrics.Sum("gatehouse_gateway_errors_total", ("service", "dead"), ("code", "upstream_unreachable")));
        Assert.Equal(1, metrics.Sum("gatehouse_upstream_errors_total", ("service", "dead"), ("kind", "connect_failed")));

        Assert.Equal(10, metrics.Sum("gatehouse_node_requests_total", ("node", "shop-1")));
        Assert.Equal(0, metrics.Sum("gatehouse_node_failures_total", ("node", "shop-1")));
        Assert.Equal(1, metrics.Sum("gatehouse_node_failures_total", ("node", "dead-1")));
        Assert.Equal(1, metrics.Sum("gatehouse_node_healthy", ("node", "shop-1")));

        Assert.True(metrics.Sum("gatehouse_process_gc_heap_bytes") > 0);
        Assert.True(metrics.Sum("gatehouse_threadpool_threads") > 0);
        Assert.True(metrics.Sum("gatehouse_kestrel_active_connections") >= 1); // this scrape's own connection
        Assert.True(metrics.Has("gatehouse_process_gc_collections_total", ("generation", "gen0")));
    }

    [Fact]
    public async Task Reload_CountersStayMonotonic()
    {
        await using var backend = await StartBackendAsync();
        var dead = $"http://127.0.0.1:{FreePort.Next()}";
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address, dead));
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/items");
            request.Headers.Add("serviceName", "shop");
            (await gw.Client.SendAsync(request)).Dispose();
        }

        await gw.ReloadAsync(Config(backend.Address, dead).Replace("limit: 2,", "limit: 5,"));
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/items"))
        {
            request.Headers.Add("serviceName", "shop");
            (await gw.Client.SendAsync(request)).Dispose();
        }

        var metrics = PrometheusText.Parse(await gw.Control.GetStringAsync("/metrics"));
        Assert.Equal(4, metrics.Sum("gatehouse_requests_total", ("api", "items"), ("status_class", "2xx")));
        Assert.Equal(4, metrics.Sum("gatehouse_node_requests_total", ("node", "shop-1")));
    }

    [Fact]
    public async Task MetricsEndpoint_PostNotAllowed()
    {
        await using var gw = await GatewayTestHost.StartAsync(null);
        using var response = await gw.Control.PostAsync("/metrics", new StringContent(""));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("method_not_allowed", json.GetProperty("code").GetString());
    }
}
