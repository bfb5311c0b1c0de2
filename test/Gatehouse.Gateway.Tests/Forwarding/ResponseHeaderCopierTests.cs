using System.Net;
using Gatehouse.Gateway.Forwarding;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Gateway.Tests.Forwarding;

public sealed class ResponseHeaderCopierTests
{
    private static HttpResponseMessage Upstream(HttpStatusCode status = HttpStatusCode.OK)
        => new(status) { Content = new ByteArrayContent([]) };

    [Fact]
    public void CopyStatusAndHeaders_HopByHopAndConnectionListed_NotCopied()
    {
        var context = new DefaultHttpContext();
        using var upstream = Upstream();
        upstream.Headers.TryAddWithoutValidation("Connection", "X-Node-Hop");
        upstream.Headers.TryAddWithoutValidation("X-Node-Hop", "1");
        upstream.Headers.TryAddWithoutValidation("Keep-Alive", "timeout=5");
        upstream.Headers.TryAddWithoutValidation("Upgrade", "h2c");
        upstream.Headers.TryAddWithoutValidation("Alt-Svc", "h3=\":443\"");
        upstream.Headers.TryAddWithoutValidation("Proxy-Authenticate", "Basic");
        upstream.Headers.TryAddWithoutValidation("Trailer", "X-Sum");
        upstream.Headers.TryAddWithoutValidation("X-Kept", "yes");

        ResponseHeaderCopier.CopyStatusAndHeaders(upstream, context, isUpgrade: false);

        var headers = context.Response.Headers;
        foreach (var name in new[] { "Connection", "X-Node-Hop", "Keep-Alive", "Upgrade", "Alt-Svc", "Proxy-Authenticate", "Trailer" })
        {
            Assert.False(headers.ContainsKey(name), name);
        }

        Assert.Equal("yes", headers["X-Kept"].ToString());
    }

    [Fact]
    public void CopyStatusAndHeaders_StatusMultiValuesAndContentHeaders_Copied()
    {
        var context = new DefaultHttpContext();
        using var upstream = Upstream(HttpStatusCode.Accepted);
        upstream.Headers.TryAddWithoutValidation("Set-Cookie", ["a=1", "b=2"]);
        upstream.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        upstream.Content.Headers.TryAddWithoutValidation("Content-Length", "42");

        ResponseHeaderCopier.CopyStatusAndHeaders(upstream, context, isUpgrade: false);

        Assert.Equal(202, context.Response.StatusCode);
        Assert.Equal(new[] { "a=1", "b=2" }, (string[])context.Response.Headers.SetCookie!);
        Assert.Equal("application/json", context.Response.ContentType);
        Assert.Equal(42, context.Response.ContentLength);
    }

    [Fact]
    public void CopyStatusAndHeaders_NodeRequestId_DoesNotReplaceTheGatewayOne()
    {
        var context = new DefaultHttpContext();
        context.Response.Headers["X-Request-Id"] = "gateway-id";
        using var upstream = Upstream();
        upstream.Headers.TryAddWithoutValidation("X-Request-Id", "node-id");

        ResponseHeaderCopier.CopyStatusAndHeaders(upstream, context, isUpgrade: false);

        Assert.Equal("gateway-id", context.Response.Headers["X-Request-Id"].ToString());
    }

    [Fact]
    public void CopyStatusAndHeaders_TransferEncodingWithContentLength_LengthDropped()
    {
        var context = new DefaultHttpContext();
        using var upstream = Upstream();
        upstream.Headers.TryAddWithoutValidation("Transfer-Encoding", "chunked");
        upstream.Content.Headers.TryAddWithoutValidation("Content-Length", "10");

        ResponseHeaderCopier.CopyStatusAndHeaders(upstream, context, isUpgrade: false);

        Assert.Null(context.Response.ContentLength);
        Assert.False(context.Response.Headers.ContainsKey("Transfer-Encoding"));
    }

    [Fact]
    public void CopyStatusAndHeaders_NoContentWithLength_LengthDropped()
    {
        var context = new DefaultHttpContext();
        using var upstream = Upstream(HttpStatusCode.NoContent);
        upstream.Content.Headers.TryAddWithoutValidation("Content-Length", "0");

        ResponseHeaderCopier.CopyStatusAndHeaders(upstream, context, isUpgrade: false);

        Assert.Equal(204, context.Response.StatusCode);
        Assert.Null(context.Response.ContentLength);
    }

    [Fact]
    public void CopyStatusAndHeaders_ValueWithNewLine_Dropped()
    {
        var context = new DefaultHttpContext();
        using var upstream = Upstream();
        upstream.Headers.TryAddWithoutValidation("X-Bad", "a\nb");

        ResponseHeaderCopier.CopyStatusAndHeaders(upstream, context, isUpgrade: false);

        Assert.False(context.Response.Headers.ContainsKey("X-Bad"));
    }

    [Theory]
    [InlineData("HTTP/1.1", "Custom Phrase")]
    [InlineData("HTTP/2", null)]
    public void CopyStatusAndHeaders_CustomReasonPhrase_OnlyForHttp1Clients(string protocol, string? expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Protocol = protocol;
        using var upstream = Upstream();
        upstream.ReasonPhrase = "Custom Phrase";

        ResponseHeaderCopier.CopyStatusAndHeaders(upstream, context, isUpgrade: false);

        Assert.Equal(expected, context.Features.Get<IHttpResponseFeature>()!.ReasonPhrase);
    }

    [Fact]
    public void CopyStatusAndHeaders_Upgrade_KeepsUpgradeHeader()
    {
        var context = new DefaultHttpContext();
        using var upstream = Upstream(HttpStatusCode.SwitchingProtocols);
        upstream.Headers.TryAddWithoutValidation("Upgrade", "websocket");
        upstream.Headers.TryAddWithoutValidation("Connection", "Upgrade");
        upstream.Headers.TryAddWithoutValidation("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

        ResponseHeaderCopier.CopyStatusAndHeaders(upstream, context, isUpgrade: true);

        Assert.Equal("websocket", context.Response.Headers.Upgrade.ToString());
        Assert.False(context.Response.Headers.ContainsKey("Connection"));
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", context.Response.Headers["Sec-WebSocket-Accept"].ToString());
    }

    [Fact]
    public void CopyTrailers_ClientSupportsTrailers_CopiedAndTrailerHeaderKept()
    {
        var context = new DefaultHttpContext();
        var trailers = new TrailersFeature();
        context.Features.Set<IHttpResponseTrailersFeature>(trailers);
        using var upstream = Upstream();
        upstream.Headers.TryAddWithoutValidation("Trailer", "grpc-status");
        upstream.TrailingHeaders.TryAddWithoutValidation("grpc-status", "0");
        upstream.TrailingHeaders.TryAddWithoutValidation("Connection", "close");

        ResponseHeaderCopier.CopyStatusAndHeaders(upstream, context, isUpgrade: false);
        ResponseHeaderCopier.CopyTrailers(upstream, context);

        Assert.Equal("grpc-status", context.Response.Headers["Trailer"].ToString());
        Assert.Equal("0", trailers.Trailers["grpc-status"].ToString());
        Assert.False(trailers.Trailers.ContainsKey("Connection"));
    }

    [Fact]
    public void CopyTrailers_ClientWithoutTrailers_Ignored()
    {
        var context = new DefaultHttpContext();
        using var upstream = Upstream();
        upstream.TrailingHeaders.TryAddWithoutValidation("grpc-status", "0");

        ResponseHeaderCopier.CopyTrailers(upstream, context);

        Assert.False(context.Response.Headers.ContainsKey("grpc-status"));
    }

    private sealed class TrailersFeature : IHttpResponseTrailersFeature
    {
        public IHeaderDictionary Trailers { get; set; } = new HeaderDictionary();
    }
}
