using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.FunctionalTests.Pipeline;

/// <summary>
/// HTTP/1.1 framing edge cases on raw sockets: every one gets an answer with a status (problem JSON where the gateway
/// sees the request), never a silent reset, and nothing of a malformed request reaches a node.
/// </summary>
public class HttpFramingEdgeTests
{
    private static string Config(string address) => $$"""
        services:
          - name: s
            nodes: [ { address: "{{address}}" } ]
            apis: [ { id: all, path: "/**" } ]
        """;

    /// <summary>A node that reads the whole request body before it answers, as an upload endpoint does.</summary>
    private static Task<EchoBackend> ReadingBackendAsync() => EchoBackend.StartAsync("b", async context =>
    {
        await context.Request.Body.CopyToAsync(Stream.Null);
        await context.Response.WriteAsync("read");
    });

    [Theory]
    [InlineData("1ffffffffffffffff")] // 2^65 - 1: past a 64-bit size
    [InlineData("ffffffffffffffffffff")]
    [InlineData("80000000")] // 2^31: past the 32-bit size Kestrel keeps
    [InlineData("ZZ")] // not hex at all: the case that always got 400
    public async Task ChunkSizeOutOfRangeOrMalformed_400Problem_ConnectionClosed(string chunkSize)
    {
        await using var backend = await ReadingBackendAsync();
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        var response = await RawHttp.SendAsync(gw.Port,
            $"POST /up HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n{chunkSize}\r\nabc");

        Assert.True(response.Status == 400, $"expected 400, got:\n{response}");
        Assert.Equal("bad_request", response.ProblemCode);
        Assert.True(response.Closed);
        Assert.Equal(1, response.ResponseCount);
    }

    [Fact]
    public async Task StalledUpload_408RequestTimeoutProblem_ConnectionClosed()
    {
        await using var backend = await ReadingBackendAsync();
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address), null,
            "--Gatehouse:Gateway:Limits:MinRequestBodyBytesPerSecond", "1000",
            "--Gatehouse:Gateway:Limits:MinRequestBodyGracePeriod", "00:00:02");

        // 100,000 bytes announced, 10 sent, then nothing: the client holds the connection open but stops sending.
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, gw.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            "POST /up HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nContent-Length: 100000\r\n\r\n0123456789"));
        var response = await RawHttp.ReadUntilClosedAsync(stream, TimeSpan.FromSeconds(15));

        Assert.True(response.Status == 408, $"expected 408, got:\n{response}");
        Assert.Equal("request_timeout", response.ProblemCode);
        Assert.Contains("application/problem+json", response.Text, StringComparison.Ordinal);
        Assert.True(response.Closed);
    }

    /// <summary>Kestrel refuses these itself (the gateway only ever sees the parsed length): a bare 400, then it closes.</summary>
    [Fact]
    public async Task StalledUpload_OnASignedApiThatBuffersTheBody_408RequestTimeoutProblem()
    {
        await using var backend = await ReadingBackendAsync();
        await using var gw = await GatewayTestHost.StartAsync($$"""
            apps: [ { appKey: app-a, secret: "secret-of-app-a-0123456789", permissions: [s] } ]
            services:
              - name: s
                policy: { auth: { sign: { timestampWindowMs: 60000 } } }
                nodes: [ { address: "{{backend.Address}}" } ]
                apis: [ { id: all, path: "/**" } ]
            """, null,
            "--Gatehouse:Gateway:Limits:MinRequestBodyBytesPerSecond", "1000",
            "--Gatehouse:Gateway:Limits:MinRequestBodyGracePeriod", "00:00:02");

        // The signature is checked after the body is read, so any value does until the body stalls.
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, gw.Port);
        var stream = client.GetStream();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            "POST /up HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nContent-Length: 1000\r\nX-Gatehouse-AppKey: app-a\r\n"
            + $"X-Gatehouse-Timestamp: {now}\r\nX-Gatehouse-Nonce: n-1\r\nX-Gatehouse-Signature: c2ln\r\n\r\n0123456789"));
        var response = await RawHttp.ReadUntilClosedAsync(stream, TimeSpan.FromSeconds(15));

        Assert.True(response.Status == 408, $"expected 408, got:\n{response}");
        Assert.Equal("request_timeout", response.ProblemCode);
        Assert.Equal(0, backend.RequestCount);
    }

    [Theory]
    [InlineData("+5")]
    [InlineData("+0005")]
    [InlineData("-0")]
    public async Task ContentLengthWithSign_Refused400_NothingForwarded(string contentLength)
    {
        await using var backend = await ReadingBackendAsync();
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        var response = await RawHttp.SendAsync(gw.Port,
            $"POST /up HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nContent-Length: {contentLength}\r\n\r\nhello");

        Assert.True(response.Status == 400, $"expected 400, got:\n{response}");
        Assert.Contains("Content-Length: 0\r\n", response.Text, StringComparison.Ordinal);
        Assert.True(response.Closed);
        Assert.Equal(1, response.ResponseCount);
        Assert.Equal(0, backend.RequestCount);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("005")] // 1*DIGIT (RFC 9110 §8.6): leading zeros are digits
    public async Task ContentLengthDigitsOnly_StillForwarded(string contentLength)
    {
        await using var backend = await ReadingBackendAsync();
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        var response = await RawHttp.SendAsync(gw.Port,
            $"POST /up HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nConnection: close\r\nContent-Length: {contentLength}\r\n\r\nhello");

        Assert.True(response.Status == 200, $"expected 200, got:\n{response}");
        Assert.Equal(1, backend.RequestCount);
    }
}
