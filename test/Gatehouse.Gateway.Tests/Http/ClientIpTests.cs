using System.Net;
using Gatehouse.Core.Net;
using Gatehouse.Gateway.Http;
using Gatehouse.Gateway.LoadBalancing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Gatehouse.Gateway.Tests.Http;

public class ClientIpTests
{
    private static readonly IpRangeSet Trusted = IpRangeSet.Parse(["127.0.0.1", "10.0.0.0/8", "2001:db8::/32"]);

    [Theory]
    [InlineData("203.0.113.5", "203.0.113.5")]
    [InlineData("203.0.113.5, 10.0.0.2", "203.0.113.5")]
    [InlineData("198.51.100.1, 203.0.113.5, 10.0.0.2", "203.0.113.5")]
    [InlineData("10.0.0.7, 10.0.0.2", "10.0.0.7")]
    [InlineData("203.0.113.5:4711", "203.0.113.5")]
    [InlineData("[2001:db9::1]:443, 2001:db8::5", "2001:db9::1")]
    [InlineData("203.0.113.5, not-an-ip, 10.0.0.2", "10.0.0.2")]
    [InlineData("garbage", "127.0.0.1")]
    [InlineData(" , ,203.0.113.5 ,", "203.0.113.5")]
    public void Resolve_WalksRightToLeftSkippingTrustedHops(string forwardedFor, string expected)
    {
        var client = TrustedProxies.Resolve(IPAddress.Loopback, new StringValues(forwardedFor), Trusted);

        Assert.Equal(IPAddress.Parse(expected), client);
    }

    [Fact]
    public void Resolve_SeveralHeaderLines_LastLineIsNearest()
    {
        var client = TrustedProxies.Resolve(IPAddress.Loopback, new StringValues(["198.51.100.1, 203.0.113.5", "10.0.0.2"]), Trusted);

        Assert.Equal(IPAddress.Parse("203.0.113.5"), client);
    }

    private static DefaultHttpContext Context(string peer, string? forwardedFor)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(peer);
        if (forwardedFor is not null)
        {
            context.Request.Headers["X-Forwarded-For"] = forwardedFor;
        }

        return context;
    }

    [Fact]
    public void Apply_UntrustedPeer_ForwardedForIgnored()
    {
        var context = Context("192.0.2.9", "203.0.113.5");

        new TrustedProxies(["127.0.0.1"]).Apply(context);

        Assert.Equal(IPAddress.Parse("192.0.2.9"), ClientIp.Get(context));
    }

    [Fact]
    public void Apply_NoTrustedProxies_ForwardedForIgnoredEvenFromLoopback()
    {
        var context = Context("127.0.0.1", "203.0.113.5");

        new TrustedProxies([]).Apply(context);

        Assert.Equal(IPAddress.Loopback, ClientIp.Get(context));
    }

    [Fact]
    public void Apply_TrustedMappedPeer_ForwardedForUsed_AndHashKeyFollows()
    {
        var context = Context("::ffff:127.0.0.1", "203.0.113.5");
        var direct = Context("203.0.113.5", null);

        new TrustedProxies(["127.0.0.0/8"]).Apply(context);

        Assert.Equal(IPAddress.Parse("203.0.113.5"), ClientIp.Get(context));
        Assert.True(HashKeyReader.TryHashClientIp(context, out var viaProxy));
        Assert.True(HashKeyReader.TryHashClientIp(direct, out var connectedDirectly));
        Assert.Equal(connectedDirectly, viaProxy);
    }

    [Fact]
    public void Constructor_BadCidr_NamesTheOption()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new TrustedProxies(["127.0.0.1", "10.0.0.1/8"]));

        Assert.Contains("Gatehouse:Gateway:TrustedProxies:1", error.Message, StringComparison.Ordinal);
    }
}
