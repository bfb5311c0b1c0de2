using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Http;
using Gatehouse.Gateway.Pipeline;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Tests.Pipeline;

public class RequestGuardTests
{
    private static HeaderDictionary Headers(params (string Name, string[] Values)[] headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, values) in headers)
        {
            dictionary[name] = values;
        }

        return dictionary;
    }

    [Fact]
    public void FramingProblem_UnambiguousRequests_Accepted()
    {
        Assert.Null(RequestGuard.FramingProblem(Headers()));
        Assert.Null(RequestGuard.FramingProblem(Headers(("Content-Length", ["12"]))));
        Assert.Null(RequestGuard.FramingProblem(Headers(("Transfer-Encoding", ["chunked"]))));
        Assert.Null(RequestGuard.FramingProblem(Headers(("Transfer-Encoding", [" Chunked "]))));
    }

    [Fact]
    public void FramingProblem_AmbiguousRequests_Refused()
    {
        Assert.Contains("both", RequestGuard.FramingProblem(Headers(("Transfer-Encoding", ["chunked"]), ("Content-Length", ["3"]))));
        Assert.Contains("both", RequestGuard.FramingProblem(Headers(("Transfer-Encoding", ["chunked"]), ("X-Content-Length", ["3"]))));
        Assert.Contains("single 'chunked'", RequestGuard.FramingProblem(Headers(("Transfer-Encoding", ["gzip, chunked"]))));
        Assert.Contains("single 'chunked'", RequestGuard.FramingProblem(Headers(("Transfer-Encoding", ["chunked", "chunked"]))));
        Assert.Contains("more than one", RequestGuard.FramingProblem(Headers(("Content-Length", ["3", "3"]))));
        Assert.Contains("more than one", RequestGuard.FramingProblem(Headers(("Content-Length", ["3, 4"]))));
    }

    [Fact]
    public void Constructor_ZeroMethodLength_RefusedAtStart()
    {
        var options = Options.Create(new GatewayOptions { Limits = new GatewayLimits { MaxMethodLength = 0 } });

        var error = Assert.Throws<InvalidOperationException>(() => new RequestGuard(options, new TrustedProxies([])));

        Assert.Contains("Limits:MaxMethodLength must be 1 or more, got 0", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 8192, "Limits:MaxHops must be 1 or more, got 0")]
    [InlineData(8, 0, "Limits:MaxUrlLength must be 1 or more, got 0")]
    public void Constructor_ZeroLimits_RefusedAtStart(int maxHops, int maxUrlLength, string message)
    {
        var options = Options.Create(new GatewayOptions { Limits = new GatewayLimits { MaxHops = maxHops, MaxUrlLength = maxUrlLength } });

        var error = Assert.Throws<InvalidOperationException>(() => new RequestGuard(options, new TrustedProxies([])));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/a/b", "/a/b")]
    [InlineData("/.well-known/x", "/.well-known/x")]
    [InlineData("//a//b/", "/a/b/")]
    [InlineData("/a/./b", "/a/b")]
    [InlineData("/a/../../b", "/b")]
    [InlineData("/a/b/..", "/a/")]
    [InlineData("/a/b/.", "/a/b/")]
    [InlineData("/..", "/")]
    [InlineData("/a/..b/c", "/a/..b/c")]
    [InlineData("/a%zz", "/a%zz")]
    [InlineData("/caf\u00e9", "/caf\u00e9")]
    public void PathNormalizer_Normalizes(string path, string expected)
    {
        Assert.True(PathNormalizer.TryNormalize(path, out var normalized, out var error), error);

        Assert.Equal(expected, normalized);
        if (path == expected)
        {
            Assert.Same(path, normalized);
        }
    }

    [Theory]
    [InlineData("/a/..%2Fb", "encoded slash")]
    [InlineData("/a/%2fb", "encoded slash")]
    [InlineData("/a/%2e%2e/b", "double-encoded")]
    [InlineData("/a\\b", "backslash")]
    [InlineData("/a\u0000b", "control character")]
    [InlineData("/a\nb", "control character")]
    public void PathNormalizer_Refuses(string path, string reason)
    {
        Assert.False(PathNormalizer.TryNormalize(path, out _, out var error));

        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3, 100, true)]
    [InlineData(2, 100, false)] // count over the limit
    [InlineData(3, 12, true)]   // "a"+"1", "bb"+"22", "ccc"+"333" = 12 characters, exactly the limit
    [InlineData(3, 11, false)]
    public void HeadersWithinLimits_CountsHeadersAndNamePlusValueCharacters(int maxCount, int maxSize, bool expected)
    {
        var headers = Headers(("a", ["1"]), ("bb", ["22"]), ("ccc", ["3", "33"]));
        var limits = new GatewayLimits { MaxRequestHeaderCount = maxCount, MaxRequestHeadersTotalSize = maxSize };

        Assert.Equal(expected, RequestGuard.HeadersWithinLimits(headers, limits));
    }

    [Fact]
    public void HeadersWithinLimits_MoreHeadersThanTheScratchArray_GrowsIt()
    {
        var headers = new HeaderDictionary();
        for (var i = 0; i < 300; i++)
        {
            headers[$"h{i:D3}"] = "v";
        }

        // 300 names of 4 characters and values of 1.
        Assert.True(RequestGuard.HeadersWithinLimits(headers, new GatewayLimits { MaxRequestHeaderCount = 300, MaxRequestHeadersTotalSize = 1500 }));
        Assert.False(RequestGuard.HeadersWithinLimits(headers, new GatewayLimits { MaxRequestHeaderCount = 300, MaxRequestHeadersTotalSize = 1499 }));
        Assert.True(RequestGuard.HeadersWithinLimits(Headers(("a", ["1"])), new GatewayLimits { MaxRequestHeadersTotalSize = 2 }));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("3")]
    public async Task InvokeAsync_HopCount_OnlyRead_ClientHeadersUnchanged(string? hops)
    {
        var guard = new RequestGuard(Options.Create(new GatewayOptions()), new TrustedProxies([]));
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = "/x";
        context.Response.Body = new MemoryStream();
        context.Request.Headers["X-Request-Id"] = "r-1"; // else the problem writer stores a generated one
        if (hops is not null)
        {
            context.Request.Headers["X-Gatehouse-Hops"] = hops;
        }

        var before = context.Request.Headers.Count;

        // No snapshot: the handler answers 503 no_config, past every check of the guard.
        await guard.InvokeAsync(context, Handler().InvokeAsync);

        Assert.Equal(503, context.Response.StatusCode);
        Assert.Equal(before, context.Request.Headers.Count);
        Assert.Equal(hops, context.Request.Headers["X-Gatehouse-Hops"].SingleOrDefault());
    }

    [Fact]
    public async Task InvokeAsync_TooManyHeaders_431BeforeRouting()
    {
        var guard = new RequestGuard(Options.Create(new GatewayOptions { Limits = new GatewayLimits { MaxRequestHeaderCount = 2 } }),
            new TrustedProxies([]));
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = "/x";
        context.Response.Body = new MemoryStream();
        context.Request.Headers["a"] = "1";
        context.Request.Headers["b"] = "2";
        context.Request.Headers["c"] = "3";

        await guard.InvokeAsync(context, Handler().InvokeAsync);

        Assert.Equal(431, context.Response.StatusCode);
    }

    private static GatewayRequestHandler Handler() => new(new Gatehouse.Gateway.Model.SnapshotState(),
        Gatehouse.Gateway.Resolution.ServiceResolverChain.CreateDefault(new GatewayHeaderNames()),
        new Gatehouse.Gateway.Forwarding.HttpForwarder(Microsoft.Extensions.Logging.Abstractions.NullLogger<Gatehouse.Gateway.Forwarding.HttpForwarder>.Instance),
        Options.Create(new GatewayOptions()), Microsoft.Extensions.Logging.Abstractions.NullLogger<GatewayRequestHandler>.Instance);
}
