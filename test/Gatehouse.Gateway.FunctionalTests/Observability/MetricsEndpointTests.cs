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

        // The exact code beside the class: the node's 404, the gateway's own 404, 429 and 502.
        Assert.Equal(5, metrics.Sum("gatehouse_requests_total", ("api", "items"), ("status_class", "2xx"), ("code", "200")));
        Assert.Equal(3, metrics.Sum("gatehouse_requests_total", ("api", "missing"), ("status_class", "4xx"), ("code", "404")));
        Assert.Equal(2, metrics.Sum("gatehouse_requests_total", ("service", ""), ("code", "404")));
        Assert.Equal(1, metrics.Sum("gatehouse_requests_total", ("api", "limited"), ("status_class", "4xx"), ("code", "429")));
        Assert.Equal(1, metrics.Sum("gatehouse_requests_total", ("service", "dead"), ("status_class", "5xx"), ("code", "502")));
        Assert.All(metrics.Samples.Where(s => s.Name == "gatehouse_requests_total"), s =>
            Assert.Equal(s.Labels["status_class"][0], s.Labels["code"][0]));

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

    [Fact]
    public async Task StandardProcessMetricsAndBuildInfo_PresentAndSane()
    {
        await using var gw = await GatewayTestHost.StartAsync(null);
        var before = PrometheusText.Parse(await gw.Control.GetStringAsync("/metrics"));

        Assert.Equal("counter", before.Types["process_cpu_seconds_total"]);
        Assert.Equal("gauge", before.Types["process_resident_memory_bytes"]);
        Assert.Equal("gauge", before.Types["process_open_fds"]);
        Assert.Equal("gauge", before.Types["process_start_time_seconds"]);

        // The process started before this test and not long ago (the test run), as the OS saw it.
        var start = before.Sum("process_start_time_seconds");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        Assert.InRange(start, now - 6 * 3600, now);
        using (var self = System.Diagnostics.Process.GetCurrentProcess())
        {
            var expected = (self.StartTime.ToUniversalTime() - DateTime.UnixEpoch).TotalSeconds;
            Assert.InRange(start, expected - 1, expected + 1);
        }

        Assert.True(before.Sum("process_resident_memory_bytes") > 10 * 1024 * 1024, "RSS of a .NET process is above 10 MB");
        Assert.True(before.Sum("process_virtual_memory_bytes") >= before.Sum("process_resident_memory_bytes"));
        var fds = before.Sum("process_open_fds");
        Assert.True(fds > 3, $"open fds {fds}"); // stdio plus the gateway's listening sockets at least
        Assert.True(before.Sum("process_max_fds") >= fds);

        // CPU time is a counter that moves when the process works: burn some, scrape again.
        var cpuBefore = before.Sum("process_cpu_seconds_total");
        Assert.True(cpuBefore > 0);
        var spin = System.Diagnostics.Stopwatch.StartNew();
        var x = 0UL;
        while (spin.ElapsedMilliseconds < 300)
        {
            x = unchecked((x * 6364136223846793005UL) + 1442695040888963407UL);
        }

        Assert.NotEqual(42UL, x);
        var after = PrometheusText.Parse(await gw.Control.GetStringAsync("/metrics"));
        Assert.True(after.Sum("process_cpu_seconds_total") > cpuBefore, "CPU seconds did not grow");
        Assert.Equal(start, after.Sum("process_start_time_seconds"));

        // Build info: 1, with the version and commit the build recorded (as `gatehouse --version` prints them).
        var info = Assert.Single(after.Samples, s => s.Name == "gatehouse_build_info");
        Assert.Equal(1, info.Value);
        Assert.Equal(Gatehouse.Core.Build.BuildInfo.Version, info.Labels["version"]);
        Assert.Matches("^[0-9a-f]{7,40}$", info.Labels["commit"]);
        Assert.Equal("gauge", after.Types["gatehouse_build_info"]);
    }
}
