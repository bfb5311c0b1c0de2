using System.Net;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.FunctionalTests.Observability;

/// <summary>A real Prometheus scrapes the gateway's control port; PromQL over what it stored must match the traffic sent.</summary>
public class PrometheusScrapeTests
{
    [Fact]
    public async Task RealPrometheus_ScrapesControlPort_CounterAndMedianMatchTraffic()
    {
        await using var backend = await EchoBackend.StartAsync("b", async context =>
        {
            if (context.Request.Path == "/slow")
            {
                // 300 ms puts every gateway observation in the (0.25, 0.5] bucket, whatever the box's load.
                await Task.Delay(300);
            }

            await context.Response.WriteAsync("ok");
        });
        await using var gw = await GatewayTestHost.StartAsync($$"""
            services:
              - name: shop
                nodes: [ { id: shop-1, address: "{{backend.Address}}" } ]
                apis:
                  - { id: items, path: /items }
                  - { id: slow, path: /slow }
            """);
        await using var prometheus = await PrometheusServer.StartAsync($"127.0.0.1:{gw.ControlPort}");

        async Task Send(string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("serviceName", "shop");
            using var response = await gw.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        for (var i = 0; i < 7; i++)
        {
            await Send("/items");
        }

        for (var i = 0; i < 4; i++)
        {
            await Send("/slow");
        }

        var timeout = TimeSpan.FromSeconds(45);
        await prometheus.WaitForAsync("up{job=\"gatehouse\"}", v => v == 1, timeout);
        var items = await prometheus.WaitForAsync("sum(gatehouse_requests_total{api=\"items\"})", v => v == 7, timeout);
        Assert.Equal(7, items);
        var slowCount = await prometheus.WaitForAsync("sum(gatehouse_request_duration_seconds_count{api=\"slow\"})", v => v == 4, timeout);
        Assert.Equal(4, slowCount);

        var median = await prometheus.QueryScalarAsync(
            "histogram_quantile(0.5, sum by (le) (gatehouse_request_duration_seconds_bucket{service=\"shop\",api=\"slow\"}))");
        Assert.NotNull(median);
        Assert.InRange(median.Value, 0.25, 0.5);
    }
}
