using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Pipeline;

/// <summary>Hostile requests sent as raw bytes: framing (smuggling), path tricks, oversized targets and bodies, loops.</summary>
public class HardeningTests
{
    private static string Config(string address) => $$"""
        services:
          - name: s
            nodes: [ { address: "{{address}}" } ]
            apis:
              - id: public
                path: "/public/**"
              - id: admin
                path: /admin
                policy: { ipAccess: { allow: [ "10.0.0.0/8" ] } }
              - id: x
                path: /x
              - id: small
                path: /small
                policy: { limits: { maxBodyBytes: 100 } }
        """;

    public static TheoryData<string, string> SmugglingAttempts => new()
    {
        { "CL and TE", "POST /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\n\r\n" },
        { "TE and CL", "POST /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\nGET /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\n\r\n" },
        { "CL, CL conflicting", "POST /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcdGET /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\n\r\n" },
        { "CL, CL repeated", "POST /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd" },
        { "CL list", "POST /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nContent-Length: 4, 4\r\n\r\nabcd" },
        { "TE gzip, chunked", "POST /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n" },
        { "TE gzip", "POST /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nTransfer-Encoding: gzip\r\n\r\nabcd" },
        { "TE chunked, identity", "POST /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nTransfer-Encoding: chunked, identity\r\n\r\n4\r\nabcd\r\n0\r\n\r\n" },
        { "TE twice", "POST /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n" },
        { "TE xchunked", "POST /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nTransfer-Encoding: xchunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n" },
        { "TE space before colon", "POST /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nTransfer-Encoding : chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n" },
        { "TE line folding", "POST /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nTransfer-Encoding:\r\n chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n" },
        { "TE with vertical tab", "POST /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nTransfer-Encoding: \vchunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n" },
        { "TE chunked with CL 0", "POST /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n" },
    };

    [Theory]
    [MemberData(nameof(SmugglingAttempts))]
    public async Task Smuggling_Rejected400_NothingReachesBackend_ConnectionClosed(string scenario, string raw)
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        var response = await RawHttp.SendAsync(gw.Port, raw);

        Assert.True(response.Status == 400, $"{scenario}: expected 400, got:\n{response}");
        Assert.True(response.Closed, $"{scenario}: the connection was left open");
        Assert.Equal(1, response.ResponseCount);
        Assert.Equal(0, backend.RequestCount);
    }

    [Fact]
    public async Task ChunkedAlone_StillForwarded()
    {
        await using var backend = await EchoBackend.StartAsync("b", async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            await context.Response.WriteAsync("got:" + await reader.ReadToEndAsync());
        });
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        var response = await RawHttp.SendAsync(gw.Port,
            "POST /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nConnection: close\r\nTransfer-Encoding: Chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n");

        Assert.Equal(200, response.Status);
        Assert.Contains("got:abcd", response.Text, StringComparison.Ordinal);
    }

    public static TheoryData<string, int, string?> PathAttempts => new()
    {
        // Dot segments, encoded or not, resolve before matching: /admin's IP list applies.
        { "/public/%2e%2e/admin", 403, "forbidden" },
        { "/public/%2E%2E/admin", 403, "forbidden" },
        { "/public/../admin", 403, "forbidden" },
        { "/public/./../admin", 403, "forbidden" },
        { "//admin", 403, "forbidden" },
        // Encoded slashes and backslashes, double encoding: refused.
        { "/public/..%2fadmin", 400, "bad_request" },
        { "/public/..%2Fadmin", 400, "bad_request" },
        { "/public/..%5cadmin", 400, "bad_request" },
        { "/public/..\\admin", 400, "bad_request" },
        { "/public/%252e%252e/admin", 400, "bad_request" },
        { "/public/%252fadmin", 400, "bad_request" },
        { "/public/a%00b", 400, null },
    };

    [Theory]
    [MemberData(nameof(PathAttempts))]
    public async Task EncodedTraversal_NeverReachesProtectedApiThroughAnother(string target, int status, string? code)
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        var response = await RawHttp.SendAsync(gw.Port, RawHttp.Get(target));

        Assert.True(response.Status == status, $"{target}: expected {status}, got:\n{response}");
        if (code is not null)
        {
            Assert.Equal(code, response.ProblemCode);
        }

        Assert.Equal(0, backend.RequestCount);
    }

    [Theory]
    [InlineData("/public//a///b", "/public/a/b")]
    [InlineData("/public/a/./b/../c", "/public/a/c")]
    [InlineData("/public/a/%2e/b", "/public/a/b")]
    [InlineData("/public//..//admin", "/public/admin")]
    [InlineData("/public/caf%C3%A9?q=%2F", "/public/caf%C3%A9?q=%2F")]
    public async Task NormalisedPath_IsWhatTheNodeReceives(string target, string forwarded)
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        var response = await RawHttp.SendAsync(gw.Port, RawHttp.Get(target));

        Assert.Equal(200, response.Status);
        Assert.Equal(forwarded, backend.Seen.Single().RawTarget);
    }

    [Fact]
    public async Task UrlTooLong_414ProblemUpToTwiceTheLimit()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address), null, "--Gatehouse:Gateway:Limits:MaxUrlLength", "1000");

        var ok = await RawHttp.SendAsync(gw.Port, RawHttp.Get("/x?q=" + new string('a', 990)));
        var tooLong = await RawHttp.SendAsync(gw.Port, RawHttp.Get("/x?q=" + new string('a', 1000)));

        Assert.Equal(200, ok.Status);
        Assert.Equal(414, tooLong.Status);
        Assert.Equal("uri_too_long", tooLong.ProblemCode);
        Assert.Equal(1, backend.RequestCount);
    }

    [Fact]
    public async Task BodyOverApiLimit_413ByContentLength_NothingForwarded()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        using var request = new HttpRequestMessage(HttpMethod.Post, "/small") { Content = new ByteArrayContent(new byte[101]) };
        request.Headers.Add("serviceName", "s");
        using var response = await gw.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("payload_too_large", json.GetProperty("code").GetString());
        Assert.Equal(0, backend.RequestCount);

        using var fits = new HttpRequestMessage(HttpMethod.Post, "/small") { Content = new ByteArrayContent(new byte[100]) };
        fits.Headers.Add("serviceName", "s");
        Assert.Equal(HttpStatusCode.OK, (await gw.Client.SendAsync(fits)).StatusCode);
        // Other APIs of the service have no limit.
        using var other = new HttpRequestMessage(HttpMethod.Post, "/x") { Content = new ByteArrayContent(new byte[100_000]) };
        other.Headers.Add("serviceName", "s");
        Assert.Equal(HttpStatusCode.OK, (await gw.Client.SendAsync(other)).StatusCode);
    }

    [Fact]
    public async Task ChunkedBodyOverApiLimit_413WhileStreaming()
    {
        var bodiesCompleted = 0;
        await using var backend = await EchoBackend.StartAsync("b", async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            Interlocked.Increment(ref bodiesCompleted);
            await context.Response.WriteAsync($"len:{body.Length}");
        });
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        var chunk = new string('a', 60);
        var tooBig = await RawHttp.SendAsync(gw.Port,
            $"POST /small HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3c\r\n{chunk}\r\n3c\r\n{chunk}\r\n0\r\n\r\n");
        var fits = await RawHttp.SendAsync(gw.Port,
            $"POST /small HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3c\r\n{chunk}\r\n0\r\n\r\n");

        Assert.True(tooBig.Status == 413, $"expected 413, got:\n{tooBig}");
        Assert.Equal("payload_too_large", tooBig.ProblemCode);
        Assert.Equal(200, fits.Status);
        Assert.Contains("len:60", fits.Text, StringComparison.Ordinal);
        // The node never received a complete oversized body.
        Assert.Equal(1, Volatile.Read(ref bodiesCompleted));
    }

    [Fact]
    public async Task HopCounter_IncrementedForwarded_RefusedOverMax()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        Assert.Equal(200, (await RawHttp.SendAsync(gw.Port, RawHttp.Get("/x"))).Status);
        Assert.Equal(200, (await RawHttp.SendAsync(gw.Port, RawHttp.Get("/x", extraHeaders: "X-Gatehouse-Hops: 3\r\n"))).Status);
        var loop = await RawHttp.SendAsync(gw.Port, RawHttp.Get("/x", extraHeaders: "X-Gatehouse-Hops: 8\r\n"));
        var garbage = await RawHttp.SendAsync(gw.Port, RawHttp.Get("/x", extraHeaders: "X-Gatehouse-Hops: -1\r\n"));

        Assert.Equal(["1", "4"], backend.Seen.Select(r => r.Header("X-Gatehouse-Hops")));
        Assert.Equal(508, loop.Status);
        Assert.Equal("loop_detected", loop.ProblemCode);
        Assert.Equal(400, garbage.Status);
    }

    [Fact]
    public async Task HopCounter_TwoGatewaysInARow_EachAddsOneOnTheUpstreamRequest()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var inner = await GatewayTestHost.StartAsync(Config(backend.Address));
        await using var outer = await GatewayTestHost.StartAsync(Config($"http://127.0.0.1:{inner.Port}"));

        Assert.Equal(200, (await RawHttp.SendAsync(outer.Port, RawHttp.Get("/x"))).Status);
        Assert.Equal(200, (await RawHttp.SendAsync(outer.Port, RawHttp.Get("/x", extraHeaders: "X-Gatehouse-Hops: 5\r\n"))).Status);
        var loop = await RawHttp.SendAsync(outer.Port, RawHttp.Get("/x", extraHeaders: "X-Gatehouse-Hops: 7\r\n"));

        Assert.Equal(["2", "7"], backend.Seen.Select(r => r.Header("X-Gatehouse-Hops")));
        Assert.Equal(508, loop.Status); // the outer gateway passed 7 + 1 = 8 to the inner one
        Assert.Equal("loop_detected", loop.ProblemCode);
    }

    [Fact]
    public async Task ServicePointingAtTheGatewayItself_EndsWith508()
    {
        await using var gw = await GatewayTestHost.StartAsync(null);
        await gw.ReloadAsync($$"""
            services:
              - name: s
                nodes: [ { address: "http://127.0.0.1:{{gw.Port}}" } ]
                apis: [ { id: all, path: "/**" } ]
            """);

        var response = await RawHttp.SendAsync(gw.Port, RawHttp.Get("/loop"), TimeSpan.FromSeconds(30));

        Assert.True(response.Status == 508, $"expected 508, got:\n{response}");
        Assert.Equal("loop_detected", response.ProblemCode);
    }
}
