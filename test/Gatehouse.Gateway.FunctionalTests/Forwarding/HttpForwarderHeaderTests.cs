using System.Net;
using System.Text.RegularExpressions;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Gateway.FunctionalTests.Forwarding;

public partial class HttpForwarderHeaderTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [GeneratedRegex("^[0-9a-v]{20}$")]
    private static partial Regex GeneratedIdPattern();

    private static async Task<(TestBackend Backend, ForwarderTestHost Gateway, Func<Task<CapturedRequest>> Seen)> StartCapturingAsync(
        RequestDelegate? respond = null, string? stripPrefix = null)
    {
        var captured = System.Threading.Channels.Channel.CreateUnbounded<CapturedRequest>();
        var backend = await TestBackend.StartAsync(async context =>
        {
            captured.Writer.TryWrite(CapturedRequest.From(context));
            if (respond is not null)
            {
                await respond(context);
            }
        });
        var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress), stripPrefix: stripPrefix);
        return (backend, gateway, async () => await captured.Reader.ReadAsync().AsTask().WaitAsync(Wait));
    }

    [Fact]
    public async Task ForwardAsync_HopByHopAndConnectionListedHeaders_AreNotForwarded()
    {
        var (backend, gateway, seen) = await StartCapturingAsync();
        await using var _ = backend;
        await using var __ = gateway;
        using var client = gateway.CreateClient();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/headers");
        request.Headers.Connection.Add("X-Conn-Secret");
        request.Headers.TryAddWithoutValidation("X-Conn-Secret", "hop-only");
        request.Headers.TryAddWithoutValidation("Keep-Alive", "timeout=5");
        request.Headers.TryAddWithoutValidation("Proxy-Authorization", "Basic Zm9vOmJhcg==");
        request.Headers.TryAddWithoutValidation("Proxy-Connection", "keep-alive");
        request.Headers.TryAddWithoutValidation("TE", "trailers");
        request.Headers.TryAddWithoutValidation("Upgrade", "foo/1");
        request.Headers.TryAddWithoutValidation("X-Kept", "yes");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer token");
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = await seen();
        Assert.Null(upstream.Header("X-Conn-Secret"));
        Assert.Null(upstream.Header("Keep-Alive"));
        Assert.Null(upstream.Header("Proxy-Authorization"));
        Assert.Null(upstream.Header("Proxy-Connection"));
        Assert.Null(upstream.Header("TE"));
        Assert.Null(upstream.Header("Upgrade"));
        Assert.Null(upstream.Header("Connection"));
        Assert.Equal("yes", upstream.Header("X-Kept"));
        Assert.Equal("Bearer token", upstream.Header("Authorization"));
        Assert.Equal(ForwarderErrorNone, (await gateway.NextResultAsync()).Error);
    }

    [Fact]
    public async Task ForwardAsync_ForwardedHeaders_SetFromTheClientHopAndHostReplaced()
    {
        var (backend, gateway, seen) = await StartCapturingAsync();
        await using var _ = backend;
        await using var __ = gateway;
        using var client = gateway.CreateClient();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/fwd");
        request.Headers.Host = "api.example.com:8443";
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.7");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", "spoofed.example");
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = await seen();
        Assert.Equal($"127.0.0.1:{backend.Port}", upstream.Header("Host"));
        Assert.Equal("203.0.113.7, 127.0.0.1", upstream.Header("X-Forwarded-For"));
        Assert.Equal("http", upstream.Header("X-Forwarded-Proto"));
        Assert.Equal("api.example.com:8443", upstream.Header("X-Forwarded-Host"));
    }

    [Fact]
    public async Task ForwardAsync_NoRequestId_GeneratesOneAndReturnsItToTheClient()
    {
        var (backend, gateway, seen) = await StartCapturingAsync();
        await using var _ = backend;
        await using var __ = gateway;
        using var client = gateway.CreateClient();

        using var first = await client.GetAsync("/id");
        using var second = await client.GetAsync("/id");

        var firstSeen = (await seen()).Header("X-Request-Id");
        var secondSeen = (await seen()).Header("X-Request-Id");
        Assert.NotNull(firstSeen);
        Assert.Matches(GeneratedIdPattern(), firstSeen);
        Assert.NotEqual(firstSeen, secondSeen);
        Assert.Equal(firstSeen, Assert.Single(first.Headers.GetValues("X-Request-Id")));
        Assert.Equal(secondSeen, Assert.Single(second.Headers.GetValues("X-Request-Id")));
    }

    [Theory]
    [InlineData("req-42.abc_DEF", "req-42.abc_DEF")]
    [InlineData("has space", null)]
    public async Task ForwardAsync_IncomingRequestId_KeptWhenAcceptable(string incoming, string? expected)
    {
        var (backend, gateway, seen) = await StartCapturingAsync();
        await using var _ = backend;
        await using var __ = gateway;
        using var client = gateway.CreateClient();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/id");
        request.Headers.TryAddWithoutValidation("X-Request-Id", incoming);
        using var response = await client.SendAsync(request);

        var upstreamId = (await seen()).Header("X-Request-Id");
        if (expected is null)
        {
            Assert.Matches(GeneratedIdPattern(), upstreamId);
        }
        else
        {
            Assert.Equal(expected, upstreamId);
        }

        Assert.Equal(upstreamId, Assert.Single(response.Headers.GetValues("X-Request-Id")));
    }

    [Fact]
    public async Task ForwardAsync_TraceContext_PassedThroughUnchanged()
    {
        var (backend, gateway, seen) = await StartCapturingAsync();
        await using var _ = backend;
        await using var __ = gateway;
        using var client = gateway.CreateClient();

        const string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        using var request = new HttpRequestMessage(HttpMethod.Get, "/trace");
        request.Headers.TryAddWithoutValidation("traceparent", traceparent);
        request.Headers.TryAddWithoutValidation("tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
        using var response = await client.SendAsync(request);

        var upstream = await seen();
        Assert.Equal(traceparent, upstream.Header("traceparent"));
        Assert.Equal("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", upstream.Header("tracestate"));
    }

    [Fact]
    public async Task ForwardAsync_StrippedPathAndQuery_ReachTheNodeEncoded()
    {
        var (backend, gateway, seen) = await StartCapturingAsync(stripPrefix: "/api");
        await using var _ = backend;
        await using var __ = gateway;
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/api/items/a%20b/%C3%A9?x=1&y=%2Fz&empty=");

        var upstream = await seen();
        Assert.Equal("/items/a b/\u00e9", upstream.Path);
        Assert.Equal("/items/a%20b/%C3%A9?x=1&y=%2Fz&empty=", upstream.RawTarget);
    }

    [Fact]
    public async Task ForwardAsync_ResponseStatusAndHeaders_RelayedWithoutHopByHop()
    {
        var (backend, gateway, seen) = await StartCapturingAsync(context =>
        {
            context.Response.StatusCode = 201;
            context.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = "Made It";
            context.Response.Headers["X-Custom"] = "v1";
            context.Response.Headers.Append("Set-Cookie", "a=1; Path=/");
            context.Response.Headers.Append("Set-Cookie", "b=2; Path=/");
            context.Response.Headers["Keep-Alive"] = "timeout=5";
            context.Response.Headers["Alt-Svc"] = "h3=\":443\"";
            context.Response.Headers["Proxy-Authenticate"] = "Basic";
            context.Response.Headers["X-Request-Id"] = "from-node";
            context.Response.Headers["Cache-Control"] = "no-store";
            return context.Response.WriteAsync("created");
        });
        await using var _ = backend;
        await using var __ = gateway;
        using var client = gateway.CreateClient();

        using var response = await client.PostAsync("/things", new StringContent("x"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("Made It", response.ReasonPhrase);
        Assert.Equal("v1", Assert.Single(response.Headers.GetValues("X-Custom")));
        Assert.Equal(["a=1; Path=/", "b=2; Path=/"], response.Headers.GetValues("Set-Cookie"));
        Assert.False(response.Headers.Contains("Keep-Alive"));
        Assert.False(response.Headers.Contains("Alt-Svc"));
        Assert.False(response.Headers.Contains("Proxy-Authenticate"));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var upstreamId = (await seen()).Header("X-Request-Id");
        Assert.Equal(upstreamId, Assert.Single(response.Headers.GetValues("X-Request-Id")));
        Assert.Equal("created", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ForwardAsync_ResponseConnectionListedHeader_NotRelayed()
    {
        var (backend, gateway, _) = await StartCapturingAsync(context =>
        {
            context.Response.Headers["Connection"] = "X-Node-Hop";
            context.Response.Headers["X-Node-Hop"] = "secret";
            context.Response.Headers["X-Visible"] = "yes";
            return Task.CompletedTask;
        });
        await using var b = backend;
        await using var g = gateway;
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/conn");

        Assert.Equal("yes", Assert.Single(response.Headers.GetValues("X-Visible")));
        Assert.False(response.Headers.Contains("X-Node-Hop"));
    }

    [Fact]
    public async Task ForwardAsync_Success_LogsNothing()
    {
        var (backend, gateway, seen) = await StartCapturingAsync();
        await using var _ = backend;
        await using var __ = gateway;
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/quiet");
        await seen();
        await gateway.NextResultAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(gateway.Logger.Entries);
    }

    private const Gatehouse.Gateway.Forwarding.ForwarderError ForwarderErrorNone = Gatehouse.Gateway.Forwarding.ForwarderError.None;
}
