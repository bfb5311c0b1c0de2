using System.Net;
using System.Net.Http.Headers;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Gateway.FunctionalTests.Forwarding;

public class HttpForwarderBodyTests
{
    /// <summary>
    /// Echoes the request body and reports how it was framed: X-Seen-Length (Content-Length or "none"),
    /// X-Seen-Chunked, X-Seen-Can-Have-Body.
    /// </summary>
    private static async Task EchoAsync(HttpContext context)
    {
        var request = context.Request;
        context.Response.Headers["X-Seen-Method"] = request.Method;
        context.Response.Headers["X-Seen-Length"] = request.ContentLength?.ToString() ?? "none";
        context.Response.Headers["X-Seen-Chunked"] = request.Headers.TransferEncoding.ToString() == "chunked" ? "yes" : "no";
        context.Response.Headers["X-Seen-Can-Have-Body"] =
            context.Features.Get<IHttpRequestBodyDetectionFeature>()!.CanHaveBody ? "yes" : "no";
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        context.Response.ContentLength = body.Length;
        if (request.ContentType is { } contentType)
        {
            context.Response.ContentType = contentType;
        }

        await context.Response.Body.WriteAsync(body.ToArray());
    }

    private static byte[] Pattern(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task ForwardAsync_PostWithContentLength_StreamsBodyWithItsLength()
    {
        await using var backend = await TestBackend.StartAsync(EchoAsync);
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var client = gateway.CreateClient();
        var payload = Pattern(300_000);

        using var content = new ByteArrayContent(payload);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await client.PostAsync("/echo", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("300000", Assert.Single(response.Headers.GetValues("X-Seen-Length")));
        Assert.Equal("no", Assert.Single(response.Headers.GetValues("X-Seen-Chunked")));
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(300_000, response.Content.Headers.ContentLength);
        Assert.Equal(payload, await response.Content.ReadAsByteArrayAsync());
        var result = await gateway.NextResultAsync();
        Assert.Equal(ForwarderError.None, result.Error);
        Assert.True(result.RequestBodyStarted);
    }

    [Fact]
    public async Task ForwardAsync_PutChunked_StreamsBodyChunked()
    {
        await using var backend = await TestBackend.StartAsync(EchoAsync);
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var client = gateway.CreateClient();
        var payload = Pattern(200_001);

        // A non-seekable stream has no length, so the client sends it chunked.
        using var content = new StreamContent(new NonSeekableStream(payload));
        using var response = await client.PutAsync("/echo", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("PUT", Assert.Single(response.Headers.GetValues("X-Seen-Method")));
        Assert.Equal("none", Assert.Single(response.Headers.GetValues("X-Seen-Length")));
        Assert.Equal("yes", Assert.Single(response.Headers.GetValues("X-Seen-Chunked")));
        Assert.Equal(payload, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ForwardAsync_PostWithEmptyBody_ForwardsContentLengthZero()
    {
        await using var backend = await TestBackend.StartAsync(EchoAsync);
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var client = gateway.CreateClient();

        using var response = await client.PostAsync("/echo", new ByteArrayContent([]));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("0", Assert.Single(response.Headers.GetValues("X-Seen-Length")));
        Assert.Equal("no", Assert.Single(response.Headers.GetValues("X-Seen-Chunked")));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.False((await gateway.NextResultAsync()).RequestBodyStarted);
    }

    [Fact]
    public async Task ForwardAsync_GetWithoutBody_SendsNoBodyFraming()
    {
        await using var backend = await TestBackend.StartAsync(EchoAsync);
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/echo");

        Assert.Equal("none", Assert.Single(response.Headers.GetValues("X-Seen-Length")));
        Assert.Equal("no", Assert.Single(response.Headers.GetValues("X-Seen-Chunked")));
        Assert.Equal("no", Assert.Single(response.Headers.GetValues("X-Seen-Can-Have-Body")));
    }

    [Fact]
    public async Task ForwardAsync_Head_RelaysContentLengthWithoutBody()
    {
        await using var backend = await TestBackend.StartAsync(context =>
        {
            context.Response.ContentLength = 1234;
            context.Response.ContentType = "text/plain";
            return Task.CompletedTask;
        });
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var client = gateway.CreateClient();

        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/file"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1234, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(ForwarderError.None, (await gateway.NextResultAsync()).Error);
    }

    [Theory]
    [InlineData(204)]
    [InlineData(304)]
    public async Task ForwardAsync_BodylessStatus_RelayedWithoutBody(int status)
    {
        await using var backend = await TestBackend.StartAsync(context =>
        {
            context.Response.StatusCode = status;
            context.Response.Headers.ETag = "\"v1\"";
            return Task.CompletedTask;
        });
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/nothing");

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("\"v1\"", response.Headers.ETag?.ToString());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(ForwarderError.None, (await gateway.NextResultAsync()).Error);
    }

    [Fact]
    public async Task ForwardAsync_ChunkedResponse_RelayedComplete()
    {
        var parts = new[] { "alpha-", "beta-", "gamma" };
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            foreach (var part in parts)
            {
                await context.Response.WriteAsync(part);
                await context.Response.Body.FlushAsync();
            }
        });
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/chunks", HttpCompletionOption.ResponseHeadersRead);

        Assert.True(response.Headers.TransferEncodingChunked);
        Assert.False(response.Content.Headers.NonValidated.Contains("Content-Length"));
        Assert.Equal("alpha-beta-gamma", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ForwardAsync_ExpectContinue_BodySentAfterTheNodeAsksForIt()
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            context.Response.Headers["X-Seen-Expect"] = context.Request.Headers.Expect.ToString();
            await EchoAsync(context);
        });
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var client = gateway.CreateClient();
        var payload = Pattern(50_000);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/expect") { Content = new ByteArrayContent(payload) };
        request.Headers.ExpectContinue = true;
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("100-continue", Assert.Single(response.Headers.GetValues("X-Seen-Expect")));
        Assert.Equal(payload, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ForwardAsync_ExpectContinueRejectedByNode_BodyNeverRead()
    {
        await using var backend = await TestBackend.StartAsync(context =>
        {
            context.Response.StatusCode = 401;
            return Task.CompletedTask;
        });
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var client = gateway.CreateClient();

        using var request = new HttpRequestMessage(HttpMethod.Post, "/expect") { Content = new ByteArrayContent(Pattern(50_000)) };
        request.Headers.ExpectContinue = true;
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var result = await gateway.NextResultAsync();
        Assert.Equal(ForwarderError.None, result.Error);
        Assert.False(result.RequestBodyStarted);
    }

    /// <summary>A read-only stream over a buffer that reports no length.</summary>
    private sealed class NonSeekableStream(byte[] data) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(count, Math.Min(data.Length - _position, 7_777));
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
