using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Observability;

/// <summary>
/// OTLP over HTTP/protobuf to a stand-in collector (real Kestrel): the gateway pushes its metrics and the spans
/// of a sampled request. The payloads are protobuf; names and ids are checked as the bytes they are encoded as.
/// </summary>
public class OtlpExportTests
{
    [Fact]
    public async Task OtlpEndpointConfigured_PushesMetricsAndSpans()
    {
        var received = new ConcurrentQueue<(string Path, byte[] Body)>();
        await using var collector = await TestBackend.StartAsync(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            received.Enqueue((context.Request.Path.Value!, body.ToArray()));
            context.Response.StatusCode = 200;
        });
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync($$"""
            services:
              - name: s
                nodes: [ { id: n1, address: "{{backend.Address}}" } ]
                apis: [ { id: all, path: "/**" } ]
            """, null,
            "--Gatehouse:Gateway:Otlp:Endpoint", collector.BaseAddress,
            "--Gatehouse:Gateway:Otlp:Protocol", "http/protobuf",
            "--Gatehouse:Gateway:Otlp:ExportInterval", "00:00:00.500");

        const string traceId = "5bf92f3577b34da6a3ce929d0e0e4736";
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/x"))
        {
            request.Headers.Add("serviceName", "s");
            request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
            using var response = await gw.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var traceIdBytes = Convert.FromHexString(traceId);
        bool Got(string path, byte[] needle) => received.Any(r => r.Path == path && r.Body.AsSpan().IndexOf(needle) >= 0);
        await GatewayTestHost.WaitUntilAsync(
            () => Task.FromResult(Got("/v1/metrics", Encoding.UTF8.GetBytes("gatehouse.requests"))
                && Got("/v1/metrics", Encoding.UTF8.GetBytes("http.server.request.duration"))),
            TimeSpan.FromSeconds(30), "no metrics export with the gateway's instruments arrived");

        // Spans are batched (5 s by default); stopping the gateway flushes them.
        await gw.DisposeAsync();
        Assert.True(Got("/v1/traces", traceIdBytes), "no trace export carried the client's trace id");
        Assert.True(Got("/v1/traces", Encoding.UTF8.GetBytes("gatehouse.upstream")), "no client span exported");
    }
}
