using System.Net;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gatehouse.Gateway.FunctionalTests.Forwarding;

public sealed class HttpForwarderHttp2Tests
{
    [Fact]
    public async Task ForwardAsync_Http2Node_UsesH2cPriorKnowledge()
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            context.Response.Headers["X-Seen-Protocol"] = context.Request.Protocol;
            context.Response.Headers["X-Seen-Forwarded-For"] = context.Request.Headers["X-Forwarded-For"].ToString();
            await context.Request.Body.CopyToAsync(context.Response.Body);
        }, HttpProtocols.Http2);
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress, UpstreamProtocol.Http2));
        using var client = gateway.CreateClient();
        var payload = new byte[200_000];
        new Random(3).NextBytes(payload);

        using var response = await client.PostAsync("/h2", new ByteArrayContent(payload));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("HTTP/2", Assert.Single(response.Headers.GetValues("X-Seen-Protocol")));
        Assert.Equal("127.0.0.1", Assert.Single(response.Headers.GetValues("X-Seen-Forwarded-For")));
        Assert.Equal(payload, await response.Content.ReadAsByteArrayAsync());
        var result = await gateway.NextResultAsync();
        Assert.Equal(ForwarderError.None, result.Error);
        Assert.True(result.RequestBodyStarted);
    }

    [Fact]
    public async Task ForwardAsync_Http1Node_UsesHttp11()
    {
        await using var backend = await TestBackend.StartAsync(context =>
        {
            context.Response.Headers["X-Seen-Protocol"] = context.Request.Protocol;
            return Task.CompletedTask;
        });
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/h1");

        Assert.Equal("HTTP/1.1", Assert.Single(response.Headers.GetValues("X-Seen-Protocol")));
    }

    [Fact]
    public async Task ForwardAsync_Http2ClientAndNode_TrailersRelayed()
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            context.Response.ContentType = "application/grpc";
            context.Response.DeclareTrailer("grpc-status");
            await context.Response.WriteAsync("payload");
            context.Response.AppendTrailer("grpc-status", "0");
            context.Response.AppendTrailer("grpc-message", "ok");
        }, HttpProtocols.Http2);
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress, UpstreamProtocol.Http2),
            protocols: HttpProtocols.Http2);
        using var client = gateway.CreateClient(http2: true);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/svc.Greeter/Hello")
        {
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation("TE", "trailers");
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("payload", await response.Content.ReadAsStringAsync());
        Assert.Equal("0", Assert.Single(response.TrailingHeaders.GetValues("grpc-status")));
        Assert.Equal("ok", Assert.Single(response.TrailingHeaders.GetValues("grpc-message")));
        Assert.Equal(ForwarderError.None, (await gateway.NextResultAsync()).Error);
    }

    [Fact]
    public async Task ForwardAsync_Http2NodeResetsStreamMidUpload_BlamesTheNodeNotTheClient()
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            var buffer = new byte[16 * 1024];
            long total = 0;
            while (total < 64 * 1024)
            {
                var read = await context.Request.Body.ReadAsync(buffer);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            context.Abort();
        }, HttpProtocols.Http2);
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress, UpstreamProtocol.Http2));
        using var client = gateway.CreateClient();
        using var stop = new CancellationTokenSource();

        // 128 KiB, then the client keeps the upload open without sending: the gateway waits on the client
        // when the node resets the stream.
        var send = client.PostAsync("/reset", new StallingContent(128 * 1024), stop.Token);
        var result = await gateway.NextResultAsync();
        stop.Cancel();
        await Record.ExceptionAsync(() => send);

        // Both map to 502; what matters is that the client is not blamed (which would abort it silently).
        Assert.Contains(result.Error, new[] { ForwarderError.UpstreamFailed, ForwarderError.RequestBodyUpstream });
        Assert.True(result.RequestBodyStarted);
    }

    [Fact]
    public async Task ForwardAsync_Http2NodeAnswersWithoutReadingTheUpload_ResponseRelayedAndClientNotBlamed()
    {
        await using var backend = await TestBackend.StartAsync(context => context.Response.WriteAsync("early"), HttpProtocols.Http2);
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress, UpstreamProtocol.Http2));
        using var client = gateway.CreateClient();
        using var stop = new CancellationTokenSource();

        var send = client.PostAsync("/early", new StallingContent(128 * 1024), stop.Token);
        var result = await gateway.NextResultAsync();
        stop.Cancel();
        await Record.ExceptionAsync(() => send);

        Assert.Equal(ForwarderError.None, result.Error);
    }

    /// <summary>Sends <c>length</c> bytes, then holds the request open until canceled.</summary>
    private sealed class StallingContent(int length) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(new byte[length], cancellationToken);
            await stream.FlushAsync(cancellationToken);
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
            => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long computed)
        {
            computed = 0;
            return false;
        }
    }
}
