using Gatehouse.Gateway.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Tests.Hosting;

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
}
