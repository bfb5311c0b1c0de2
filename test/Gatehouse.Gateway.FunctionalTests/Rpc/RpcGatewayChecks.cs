using System.Net;
using System.Text;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Testing;

namespace Gatehouse.Gateway.FunctionalTests.Rpc;

/// <summary>
/// What the HTTP → RPC gateway tests (Dubbo, Tars) check alike, against a real gateway and real servers: JSON calls
/// whose every answer carries the request id, trace context continuation, timeouts, a node killed mid-call, and the
/// gateway's policies applying to RPC APIs as to HTTP ones.
/// </summary>
internal sealed class RpcGatewayChecks(GatewayTestHost gateway)
{
    /// <summary>The trace id of the client's traceparent that <see cref="SendTracedAsync"/> sends.</summary>
    public const string ClientTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";

    private const string ClientSpanId = "00f067aa0ba902b7";

    public async Task<JsonElement> PostJsonAsync(string path, string json, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await gateway.Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        return await ReadAsync(response, expected);
    }

    public async Task<JsonElement> GetJsonAsync(string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await gateway.Client.GetAsync(path);
        return await ReadAsync(response, expected);
    }

    /// <summary>The JSON body of a response of status <paramref name="expected"/> that carries <c>X-Request-Id</c>.</summary>
    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        Assert.True(response.Headers.Contains("X-Request-Id"));
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>GETs <paramref name="path"/> with <c>x-tenant: t-9</c>, the request id and a client traceparent.</summary>
    public async Task<JsonElement> SendTracedAsync(string path, string requestId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("x-tenant", "t-9");
        request.Headers.Add("X-Request-Id", requestId);
        request.Headers.Add("traceparent", $"00-{ClientTraceId}-{ClientSpanId}-01");
        using var response = await gateway.Client.SendAsync(request);
        return await ReadAsync(response, HttpStatusCode.OK);
    }

    /// <summary>The traceparent the server saw continues the client's trace from a span of the gateway's.</summary>
    public static void AssertTraceContinued(string traceparent)
    {
        Assert.StartsWith($"00-{ClientTraceId}-", traceparent);
        Assert.DoesNotContain(ClientSpanId, traceparent);
    }

    /// <summary><c>/demo/sleep?ms=N</c> beyond the 1 s response-headers timeout is 504; a short one still answers.</summary>
    public async Task SlowNodeTimesOutAsync()
    {
        var problem = await GetJsonAsync("/demo/sleep?ms=3000", HttpStatusCode.GatewayTimeout);
        Assert.Equal("upstream_timeout", problem.GetProperty("code").GetString());
        Assert.Equal(200, (await GetJsonAsync("/demo/sleep?ms=200")).GetInt32());
    }

    /// <summary>
    /// A call in flight (<c>/pair/sleep</c>, 5 s) to the node killed mid-call is 502 <c>upstream_unreachable</c>, and
    /// every following call of <paramref name="whoPath"/> is answered by the survivor.
    /// </summary>
    /// <param name="whoPath">A GET answered with the name of the node that answered.</param>
    /// <param name="nameOf">The node's name in that answer.</param>
    /// <param name="nodes">The two nodes of the pair: their names and how to kill each.</param>
    public async Task NodeKilledMidCallAsync(string whoPath, Func<JsonElement, string?> nameOf, (string Name, Action Kill)[] nodes)
    {
        // Equal weights alternate between the nodes: after a call answered by one, the next goes to the other.
        var first = nameOf(await GetJsonAsync(whoPath));
        var (victim, survivor) = first == nodes[0].Name ? (nodes[1], nodes[0].Name) : (nodes[0], nodes[1].Name);

        using var inFlight = gateway.Client.PostAsync("/pair/sleep", new StringContent("[5000]", Encoding.UTF8, "application/json"));
        await Task.Delay(500);
        victim.Kill();
        using var broken = await inFlight;
        var problem = await ReadAsync(broken, HttpStatusCode.BadGateway);
        Assert.Equal("upstream_unreachable", problem.GetProperty("code").GetString());

        // Every following call is answered by the survivor: the dead node's turn fails to connect and is retried there.
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(survivor, nameOf(await GetJsonAsync(whoPath)));
        }
    }

    /// <summary>
    /// The API <c>limited</c> of service <c>pair</c> (2 per minute) answers the first two of
    /// <paramref name="paths"/> and limits the third; the metrics count them like an HTTP API's.
    /// </summary>
    public async Task RateLimitAndMetricsApplyAsync(params string[] paths)
    {
        await GetJsonAsync(paths[0]);
        await GetJsonAsync(paths[1]);
        var problem = await GetJsonAsync(paths[2], HttpStatusCode.TooManyRequests);
        Assert.Equal("rate_limited", problem.GetProperty("code").GetString());

        var metrics = PrometheusText.Parse(await gateway.Control.GetStringAsync("/metrics"));
        Assert.Equal(2, metrics.Sum("gatehouse_requests_total", ("service", "pair"), ("api", "limited"), ("code", "200")));
        Assert.Equal(1, metrics.Sum("gatehouse_requests_total", ("service", "pair"), ("api", "limited"), ("code", "429")));
        Assert.True(metrics.Has("gatehouse_upstream_duration_seconds_count", ("service", "pair"), ("api", "limited")));
    }
}
