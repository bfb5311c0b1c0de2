using System.Net;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Gateway.FunctionalTests.Observability;

namespace Gatehouse.Gateway.FunctionalTests.Grpc.Transcoding;

/// <summary>
/// Transcoded APIs pass the same pipeline as any other: rate limits answer before the node is called, balancing spreads
/// calls over the nodes, and the access log and metrics carry each call's gRPC status.
/// </summary>
public sealed class TranscodingPolicyTests(TranscodingFixture fixture) : IClassFixture<TranscodingFixture>
{
    private HttpClient Client => fixture.Gateway.Client;

    [Fact]
    public async Task RateLimit_AccessLog_AndMetrics_SeeTheGrpcStatus()
    {
        using var first = await Client.GetAsync("/limited/v1/fail/5?message=gone");
        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        using var second = await Client.GetAsync("/limited/v1/books/1/title");
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Contains("\"code\":\"rate_limited\"", await second.Content.ReadAsStringAsync());

        using var ok = new HttpRequestMessage(HttpMethod.Get, "/v1/books/3/title");
        ok.Headers.Add("X-Request-Id", "transcode-policy-ok");
        (await Client.SendAsync(ok)).Dispose();

        var lines = await AccessLogTests.ReadLinesAsync(fixture.LogDir, 3);
        var limited = lines.Where(l => l.GetProperty("api").GetString() == "limited").ToList();
        Assert.Equal(2, limited.Count);
        Assert.Equal(5, limited[0].GetProperty("grpcStatus").GetInt32());
        Assert.Equal(404, limited[0].GetProperty("status").GetInt32());
        Assert.Equal("node-b", limited[0].GetProperty("node").GetString());
        Assert.Equal(429, limited[1].GetProperty("status").GetInt32());
        var okLine = Assert.Single(lines, l => l.GetProperty("requestId").GetString() == "transcode-policy-ok");
        Assert.Equal(0, okLine.GetProperty("grpcStatus").GetInt32());

        var metrics = PrometheusText.Parse(await fixture.Gateway.Control.GetStringAsync("/metrics"));
        Assert.Equal(1, metrics.Sum("gatehouse_grpc_requests_total", ("service", "limited"), ("api", "limited"), ("grpc_code", "NotFound")));
        Assert.Equal(1, metrics.Sum("gatehouse_requests_total", ("api", "limited"), ("code", "429")));
    }

    [Fact]
    public async Task Balancing_SpreadsTranscodedCallsOverTheNodes()
    {
        for (var i = 0; i < 6; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/books/{i}/title");
            request.Headers.Add("X-Request-Id", $"transcode-balance-{i}");
            (await Client.SendAsync(request)).Dispose();
        }

        await GatewayTestHost.WaitUntilAsync(async () =>
            (await AccessLogTests.ReadLinesAsync(fixture.LogDir, 1)).Count(l => l.GetProperty("requestId").GetString()!.StartsWith("transcode-balance-")) == 6,
            TimeSpan.FromSeconds(10), "six access log lines");
        var nodes = (await AccessLogTests.ReadLinesAsync(fixture.LogDir, 6))
            .Where(l => l.GetProperty("requestId").GetString()!.StartsWith("transcode-balance-"))
            .Select(l => l.GetProperty("node").GetString()).Distinct().Order().ToList();
        Assert.Equal(["node-a", "node-b"], nodes);
    }

    [Fact]
    public async Task Canary_AndIpAccess_Apply()
    {
        // The canary takes 100 % of ordinary traffic: every call lands on the v2 node.
        for (var i = 0; i < 4; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/canary/v1/books/{i}/title");
            request.Headers.Add("X-Request-Id", $"transcode-canary-{i}");
            (await Client.SendAsync(request)).Dispose();
        }

        await GatewayTestHost.WaitUntilAsync(async () =>
            (await AccessLogTests.ReadLinesAsync(fixture.LogDir, 1)).Count(l => l.GetProperty("requestId").GetString()!.StartsWith("transcode-canary-")) == 4,
            TimeSpan.FromSeconds(10), "four access log lines");
        var nodes = (await AccessLogTests.ReadLinesAsync(fixture.LogDir, 4))
            .Where(l => l.GetProperty("requestId").GetString()!.StartsWith("transcode-canary-"))
            .Select(l => l.GetProperty("node").GetString()).Distinct().ToList();
        Assert.Equal(["node-b"], nodes);

        using var denied = await Client.GetAsync("/denied/v1/books/1/title");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Contains("\"code\":\"forbidden\"", await denied.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Tracing_TheNodeJoinsTheClientsTrace()
    {
        const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/shelves/trace");
        request.Headers.Add("traceparent", $"00-{TraceId}-00f067aa0ba902b7-01");
        using var response = await Client.SendAsync(request);
        var theme = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("theme").GetString()!;
        Assert.StartsWith($"00-{TraceId}-", theme);
        Assert.DoesNotContain("00f067aa0ba902b7", theme); // the gateway's own hop is the node's parent
    }
}
