using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Gateway.Observability;

namespace Gatehouse.Gateway.FunctionalTests.Observability;

public class TracingTests
{
    private const string ClientTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string ClientSpanId = "00f067aa0ba902b7";

    private static string Config(string address) => $$"""
        services:
          - name: s
            nodes: [ { id: n1, address: "{{address}}" } ]
            apis: [ { id: all, path: "/**" } ]
        """;

    private static async Task<HttpResponseMessage> SendAsync(GatewayTestHost gw, string service, string? traceparent, string? tracestate = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/t");
        request.Headers.Add("serviceName", service);
        if (traceparent is not null)
        {
            request.Headers.TryAddWithoutValidation("traceparent", traceparent);
        }

        if (tracestate is not null)
        {
            request.Headers.TryAddWithoutValidation("tracestate", tracestate);
        }

        return await gw.Client.SendAsync(request);
    }

    private static ActivityContext ParseSeen(EchoBackend backend)
    {
        Assert.True(backend.Seen.TryDequeue(out var seen));
        var traceparent = seen.Header("traceparent");
        Assert.NotNull(traceparent);
        Assert.Single(traceparent.Split(','));
        Assert.True(ActivityContext.TryParse(traceparent, null, out var context), $"invalid traceparent '{traceparent}'");
        return context;
    }

    [Fact]
    public async Task ClientTraceparent_BackendGetsSameTraceNewParent_FlagsAndTracestateKept()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        using var response = await SendAsync(gw, "s", $"00-{ClientTraceId}-{ClientSpanId}-01", "vendor=abc");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Assert.True(backend.Seen.TryPeek(out var seen));
        Assert.Equal("vendor=abc", seen.Header("tracestate"));
        var upstream = ParseSeen(backend);
        Assert.Equal(ClientTraceId, upstream.TraceId.ToHexString());
        Assert.NotEqual(ClientSpanId, upstream.SpanId.ToHexString());
        Assert.Equal(ActivityTraceFlags.Recorded, upstream.TraceFlags);
    }

    [Fact]
    public async Task NoTraceparent_BackendGetsFreshValidOne_DifferentPerRequest()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        (await SendAsync(gw, "s", null)).Dispose();
        (await SendAsync(gw, "s", "not-a-traceparent")).Dispose();
        var first = ParseSeen(backend);
        var second = ParseSeen(backend);
        Assert.NotEqual(default, first.TraceId);
        Assert.NotEqual(first.TraceId, second.TraceId);
        Assert.NotEqual(ClientTraceId, second.TraceId.ToHexString());
    }

    [Fact]
    public async Task ErrorBody_CarriesTraceId_ClientsOrGenerated()
    {
        await using var gw = await GatewayTestHost.StartAsync(Config($"http://127.0.0.1:{FreePort.Next()}"));

        using var unknown = await SendAsync(gw, "nope", $"00-{ClientTraceId}-{ClientSpanId}-00");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var body = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(ClientTraceId, body.GetProperty("traceId").GetString());

        using var unreachable = await SendAsync(gw, "s", null);
        Assert.Equal(HttpStatusCode.BadGateway, unreachable.StatusCode);
        var generated = JsonDocument.Parse(await unreachable.Content.ReadAsStringAsync()).RootElement.GetProperty("traceId").GetString();
        Assert.Matches("^[0-9a-f]{32}$", generated);
        Assert.NotEqual(new string('0', 32), generated);
    }

    [Fact]
    public async Task Sampled_ServerAndClientSpans_BackendParentIsClientSpan()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == GatewayTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));
        using var response = await SendAsync(gw, "s", $"00-{ClientTraceId}-{ClientSpanId}-01");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = ParseSeen(backend);

        // The server span stops after the response is complete: wait for it rather than racing the handler.
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(stopped.Any(a => a.TraceId.ToHexString() == ClientTraceId
            && a.Kind == ActivityKind.Server)), TimeSpan.FromSeconds(10), "the server span did not stop");
        var spans = stopped.Where(a => a.TraceId.ToHexString() == ClientTraceId).ToList();
        var server = Assert.Single(spans, a => a.Kind == ActivityKind.Server);
        var client = Assert.Single(spans, a => a.Kind == ActivityKind.Client);

        Assert.Equal(ClientSpanId, server.ParentSpanId.ToHexString());
        Assert.Equal(server.SpanId, client.ParentSpanId);
        Assert.Equal(client.SpanId, upstream.SpanId);
        Assert.Equal("s", server.GetTagItem("gatehouse.service"));
        Assert.Equal("all", server.GetTagItem("gatehouse.api"));
        Assert.Equal("n1", server.GetTagItem("gatehouse.node"));
        Assert.Equal(200, server.GetTagItem("http.response.status_code"));
        Assert.Equal("n1", client.GetTagItem("gatehouse.node"));
        Assert.Equal(200, client.GetTagItem("http.response.status_code"));

        // A next request on the same keep-alive connection starts its own trace: the first request's span must not
        // linger as Activity.Current in the connection's context and become its parent.
        using var next = await SendAsync(gw, "s", null);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        var nextUpstream = ParseSeen(backend);
        Assert.NotEqual(ClientTraceId, nextUpstream.TraceId.ToHexString());
    }
}
