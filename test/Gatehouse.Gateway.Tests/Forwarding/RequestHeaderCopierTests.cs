using System.Net;
using Gatehouse.Gateway.Forwarding;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.Forwarding;

public sealed class RequestHeaderCopierTests
{
    private static DefaultHttpContext Context(string protocol = "HTTP/1.1")
    {
        var context = new DefaultHttpContext();
        context.Request.Protocol = protocol;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("gw.example", 8080);
        context.Connection.RemoteIpAddress = IPAddress.Parse("10.0.0.5");
        return context;
    }

    private static HttpRequestMessage Request() => new(HttpMethod.Get, "http://node:81/x");

    private static string? Value(HttpRequestMessage request, string name)
    {
        if (request.Headers.NonValidated.TryGetValues(name, out var values))
        {
            return string.Join(", ", values);
        }

        if (request.Content is not null && request.Content.Headers.NonValidated.TryGetValues(name, out var contentValues))
        {
            return string.Join(", ", contentValues);
        }

        return null;
    }

    [Theory]
    [InlineData("Connection", "keep-alive")]
    [InlineData("Keep-Alive", "timeout=5")]
    [InlineData("Proxy-Connection", "keep-alive")]
    [InlineData("TE", "trailers")]
    [InlineData("Trailer", "X-Checksum")]
    [InlineData("Transfer-Encoding", "chunked")]
    [InlineData("Upgrade", "websocket")]
    [InlineData("Proxy-Authorization", "Basic abc")]
    [InlineData("HTTP2-Settings", "AAMAAABkAAQAAP__")]
    public void Copy_HopByHopHeader_NotForwarded(string name, string value)
    {
        var context = Context();
        context.Request.Headers[name] = value;
        using var request = Request();

        RequestHeaderCopier.Copy(context, request, isUpgrade: false, "rid");

        Assert.Null(Value(request, name));
    }

    [Fact]
    public void Copy_HeaderNamedInConnection_NotForwarded()
    {
        var context = Context();
        context.Request.Headers.Connection = "keep-alive, X-Hop , x-other";
        context.Request.Headers["X-Hop"] = "1";
        context.Request.Headers["X-Other"] = "2";
        context.Request.Headers["X-Kept"] = "3";
        using var request = Request();

        RequestHeaderCopier.Copy(context, request, isUpgrade: false, "rid");

        Assert.Null(Value(request, "X-Hop"));
        Assert.Null(Value(request, "X-Other"));
        Assert.Equal("3", Value(request, "X-Kept"));
    }

    [Fact]
    public void Copy_PseudoHeaderAndHost_NotForwarded()
    {
        var context = Context("HTTP/2");
        context.Request.Headers[":authority"] = "gw.example";
        context.Request.Headers.Host = "gw.example:8080";
        using var request = Request();

        RequestHeaderCopier.Copy(context, request, isUpgrade: false, "rid");

        Assert.Null(Value(request, ":authority"));
        Assert.Null(request.Headers.Host);
        Assert.Equal("gw.example:8080", Value(request, "X-Forwarded-Host"));
    }

    [Fact]
    public void Copy_ValueWithNewLine_Dropped()
    {
        var context = Context();
        context.Request.Headers["X-Injected"] = "a\r\nX-Evil: 1";
        context.Request.Headers["X-Multi"] = new[] { "ok", "bad\n" };
        using var request = Request();

        RequestHeaderCopier.Copy(context, request, isUpgrade: false, "rid");

        Assert.Null(Value(request, "X-Injected"));
        Assert.Null(Value(request, "X-Multi"));
    }

    [Fact]
    public void Copy_MultipleValues_AllForwarded()
    {
        var context = Context();
        context.Request.Headers["Accept"] = new[] { "text/html", "application/json" };
        using var request = Request();

        RequestHeaderCopier.Copy(context, request, isUpgrade: false, "rid");

        Assert.Equal(["text/html", "application/json"], request.Headers.NonValidated["Accept"]);
    }

    [Fact]
    public void Copy_ContentHeadersWithoutBody_CarriedByEmptyContent()
    {
        var context = Context();
        context.Request.Method = "POST";
        context.Request.Headers.ContentLength = 0;
        context.Request.Headers.ContentType = "application/json";
        using var request = Request();

        RequestHeaderCopier.Copy(context, request, isUpgrade: false, "rid");

        var content = Assert.IsType<EmptyRequestContent>(request.Content);
        Assert.Equal("0", Value(request, "Content-Length"));
        Assert.Equal("application/json", content.Headers.NonValidated["Content-Type"].ToString());
    }

    [Fact]
    public void Copy_TransferEncodingWithContentLength_LengthDropped()
    {
        var context = Context();
        context.Request.Headers.TransferEncoding = "chunked";
        context.Request.Headers.ContentLength = 10;
        context.Request.Headers.ContentType = "text/plain";
        using var request = Request();
        request.Content = new StringContent("");
        request.Content.Headers.Clear();

        RequestHeaderCopier.Copy(context, request, isUpgrade: false, "rid");

        Assert.False(request.Content.Headers.NonValidated.Contains("Content-Length"));
        Assert.Equal("text/plain", Value(request, "Content-Type"));
    }

    [Fact]
    public void Copy_ForwardedHeaders_AppendForAndReplaceProtoAndHost()
    {
        var context = Context();
        context.Request.Headers["X-Forwarded-For"] = "203.0.113.9";
        context.Request.Headers["X-Forwarded-Proto"] = "https";
        context.Request.Headers["X-Forwarded-Host"] = "spoofed";
        context.Connection.RemoteIpAddress = IPAddress.Parse("::ffff:192.0.2.44");
        using var request = Request();

        RequestHeaderCopier.Copy(context, request, isUpgrade: false, "rid");

        Assert.Equal(["203.0.113.9", "192.0.2.44"], request.Headers.NonValidated["X-Forwarded-For"]);
        Assert.Equal("http", Value(request, "X-Forwarded-Proto"));
        Assert.Equal("gw.example:8080", Value(request, "X-Forwarded-Host"));
    }

    [Fact]
    public void Copy_RequestId_ForwardedAsGiven()
    {
        var context = Context();
        context.Request.Headers["X-Request-Id"] = "client-value";
        using var request = Request();

        RequestHeaderCopier.Copy(context, request, isUpgrade: false, "resolved-id");

        Assert.Equal("resolved-id", Value(request, "X-Request-Id"));
    }

    [Fact]
    public void ResolveRequestId_NoIncomingId_GeneratedStoredAndEchoed()
    {
        var context = Context();

        var id = RequestHeaderCopier.ResolveRequestId(context);

        Assert.Equal(RequestIdGenerator.Length, id.Length);
        Assert.Equal(id, context.Request.Headers["X-Request-Id"].ToString());
        Assert.Equal(id, context.Response.Headers["X-Request-Id"].ToString());
        // A retry on another node resolves the same id.
        Assert.Equal(id, RequestHeaderCopier.ResolveRequestId(context));
    }

    [Theory]
    [InlineData("abc-123", true)]
    [InlineData("bad value", false)]
    public void ResolveRequestId_IncomingId_KeptOnlyWhenAcceptable(string incoming, bool kept)
    {
        var context = Context();
        context.Request.Headers["X-Request-Id"] = incoming;

        var id = RequestHeaderCopier.ResolveRequestId(context);

        Assert.Equal(kept, id == incoming);
        Assert.Equal(id, context.Response.Headers["X-Request-Id"].ToString());
    }

    [Theory]
    [InlineData("HTTP/2", "trailers")]
    [InlineData("HTTP/1.1", null)]
    public void Copy_TeTrailers_ForwardedOnlyForHttp2Clients(string protocol, string? expected)
    {
        var context = Context(protocol);
        context.Request.Headers.TE = "deflate, trailers";
        using var request = Request();

        RequestHeaderCopier.Copy(context, request, isUpgrade: false, "rid");

        Assert.Equal(expected, Value(request, "TE"));
    }

    [Fact]
    public void Copy_Upgrade_ForwardsConnectionUpgradeAndUpgrade()
    {
        var context = Context();
        context.Request.Headers.Connection = "Upgrade";
        context.Request.Headers.Upgrade = "websocket";
        context.Request.Headers["Sec-WebSocket-Key"] = "dGhlIHNhbXBsZSBub25jZQ==";
        using var request = Request();

        RequestHeaderCopier.Copy(context, request, isUpgrade: true, "rid");

        Assert.Equal("Upgrade", Value(request, "Connection"));
        Assert.Equal("websocket", Value(request, "Upgrade"));
        Assert.Equal("dGhlIHNhbXBsZSBub25jZQ==", Value(request, "Sec-WebSocket-Key"));
    }

    [Theory]
    [InlineData(null, "1")]
    [InlineData("0", "1")]
    [InlineData("3", "4")]
    [InlineData("63", "64")]
    [InlineData("99", "100")]
    [InlineData("junk", "1")] // only reachable without the request guard, which refuses it with 400
    public void Copy_HopCount_UpstreamGetsIncomingPlusOne_ClientHeaderUntouched(string? incoming, string expected)
    {
        var context = Context();
        if (incoming is not null)
        {
            context.Request.Headers["X-Gatehouse-Hops"] = incoming;
        }

        using var request = Request();

        RequestHeaderCopier.Copy(context, request, isUpgrade: false, "rid");

        Assert.Equal(expected, Value(request, "X-Gatehouse-Hops"));
        Assert.Equal(incoming, context.Request.Headers["X-Gatehouse-Hops"].SingleOrDefault());
    }

    [Fact]
    public void Copy_HopCount_CachedStringsForSmallCounts()
    {
        var context = Context();
        context.Request.Headers["X-Gatehouse-Hops"] = "2";
        using var first = Request();
        using var second = Request();

        RequestHeaderCopier.Copy(context, first, isUpgrade: false, "rid");
        RequestHeaderCopier.Copy(context, second, isUpgrade: false, "rid");

        Assert.True(first.Headers.NonValidated.TryGetValues("X-Gatehouse-Hops", out var a));
        Assert.True(second.Headers.NonValidated.TryGetValues("X-Gatehouse-Hops", out var b));
        Assert.Same(a.Single(), b.Single());
    }
}
