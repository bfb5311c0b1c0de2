using System.Net;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Explain;

/// <summary><c>POST /control/explain</c>: who may call it, what bad input gets, and that it changes no state.</summary>
public sealed class ExplainEndpointTests
{
    private const string Simple = """
        services:
          - name: s
            healthCheck: { enabled: false }
            nodes: [ { id: n1, address: "http://127.0.0.1:9" } ]
            apis: [ { id: all, path: "/**" } ]
        """;

    private static readonly object Body = new { method = "GET", path = "/x", headers = new { serviceName = "s" } };

    [Fact]
    public async Task Unsigned_WronglySigned_OrNoSecretOnTheGateway_401BeforeTheBodyIsRead()
    {
        await using var gw = await ExplainKit.StartAsync(Simple);

        foreach (var (body, secret) in new (object, string?)[] { (Body, null), (Body, "not-the-secret"), ("{not json", null) })
        {
            var (status, json) = await ExplainKit.PostAsync(gw, body, secret);
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.Equal("unauthorized", json.Str("code"));
            Assert.False(json.TryGetProperty("routing", out _));
        }

        await using var open = await GatewayTestHost.StartAsync(Simple);
        var (noSecret, problem) = await ExplainKit.PostAsync(open, Body);
        Assert.Equal(HttpStatusCode.Unauthorized, noSecret);
        Assert.Contains("no control secret", problem.Str("detail"), StringComparison.Ordinal);

        using var get = await gw.Control.GetAsync("/control/explain");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
    }

    [Theory]
    [InlineData("{not json", "body")]
    [InlineData("[1,2]", "body")]
    [InlineData("""{"path":"/x"}""", "method")]
    [InlineData("""{"method":"GET"}""", "path")]
    [InlineData("""{"method":"GET","path":""}""", "path")]
    [InlineData("""{"method":"GET","path":"x"}""", "path")]
    [InlineData("""{"method":"G ET","path":"/x"}""", "method")]
    [InlineData("""{"method":5,"path":"/x"}""", "method")]
    [InlineData("""{"method":"GET","path":"/x","clientIp":"10.0.0.300"}""", "clientIp")]
    [InlineData("""{"method":"GET","path":"/x","headers":[1]}""", "headers")]
    [InlineData("""{"method":"GET","path":"/x","headers":{"serviceName":7}}""", "headers.serviceName")]
    [InlineData("""{"method":"GET","path":"/x?a=1","query":"b=2"}""", "path")]
    [InlineData("""{"method":"GET","path":"/a%2Fb"}""", "path")] // an encoded slash, refused by the request guard too
    [InlineData("""{"method":"GET","path":"/a%5Cb"}""", "path")]
    public async Task BadInput_400ProblemNamingTheField(string body, string field)
    {
        await using var gw = await ExplainKit.StartAsync(Simple);

        var (status, json) = await ExplainKit.PostAsync(gw, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(("bad_request", field), (json.Str("code"), json.Str("field")));
        Assert.True(json.GetProperty("errors").TryGetProperty(field, out _), json.ToString());
    }

    [Fact]
    public async Task NoConfigLoaded_503()
    {
        await using var gw = await ExplainKit.StartAsync(null);
        var (status, json) = await ExplainKit.PostAsync(gw, Body);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("no_config", json.Str("code"));
    }

    /// <summary>
    /// Two gateways with the same config, one explained at many times first: afterwards both send the same requests to the
    /// same nodes (round-robin position, canary draws), refuse the same one (rate-limit tokens), and report the same
    /// breaker and in-flight state. Explain spent nothing of any of them.
    /// </summary>
    [Fact]
    public async Task Explain_ChangesNoBalancerCanaryRateLimitOrBreakerState()
    {
        await using var a = await EchoBackend.StartAsync("a");
        await using var b = await EchoBackend.StartAsync("b");
        await using var c = await EchoBackend.StartAsync("c");
        await using var v2 = await EchoBackend.StartAsync("v2");
        var config = $$"""
            services:
              - name: s
                policy:
                  rateLimit: { limit: 8, windowMs: 600000, key: { source: none } }
                  canary: { version: v2, percent: 25 }
                  circuitBreaker: { enabled: true, minimumThroughput: 2, failureRatio: 0.5 }
                  retry: { maxAttempts: 2 }
                nodes:
                  - { id: a, address: "{{a.Address}}", weight: 3, version: v1 }
                  - { id: b, address: "{{b.Address}}", weight: 2, version: v1 }
                  - { id: c, address: "{{c.Address}}", weight: 1, version: v1 }
                  - { id: v2, address: "{{v2.Address}}", version: v2 }
                apis: [ { id: all, path: "/**" } ]
            """;
        await using var explained = await ExplainKit.StartAsync(config);
        await using var untouched = await ExplainKit.StartAsync(config);

        for (var i = 0; i < 30; i++)
        {
            var e = await ExplainKit.ExplainAsync(explained, Body);
            Assert.Equal("forward", e.Str("outcome"));
            Assert.Equal("closed", e.GetProperty("circuitBreaker").GetProperty("states")[0].Str("state"));
        }

        var first = await SendAllAsync(explained);
        var second = await SendAllAsync(untouched);

        Assert.Equal(second, first);
        Assert.Equal(8, first.Count(r => r != "429"));
        Assert.Equal("429", first[^1]);
        Assert.Contains(first, r => r.StartsWith("v2", StringComparison.Ordinal));
        var after = await ExplainKit.ExplainAsync(explained, Body);
        Assert.All(after.GetProperty("routing").GetProperty("nodes").EnumerateArray(), n => Assert.Equal(0, n.GetProperty("inFlight").GetInt32()));
    }

    private static async Task<List<string>> SendAllAsync(GatewayTestHost gw)
    {
        var results = new List<string>();
        for (var i = 0; i < 9; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/x");
            request.Headers.Add("serviceName", "s");
            using var response = await gw.Client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            results.Add(response.StatusCode == HttpStatusCode.OK ? body.Split('|')[0] : ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return results;
    }
}
