using System.Net;
using Gatehouse.Core.Config;
using Gatehouse.Core.Hashing;
using Gatehouse.Gateway.LoadBalancing;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.LoadBalancing;

public sealed class HashKeyReaderTests
{
    [Theory]
    [InlineData(HashKeySource.Header, "X-Tenant", "acme")]
    [InlineData(HashKeySource.Header, "x-tenant", "acme")]
    [InlineData(HashKeySource.Query, "tenant", "from-query")]
    [InlineData(HashKeySource.Query, "user", "a b")]
    [InlineData(HashKeySource.Path, null, "/orders/42")]
    [InlineData(HashKeySource.ClientIp, null, null)]
    [InlineData(HashKeySource.Header, "X-Missing", null)]
    [InlineData(HashKeySource.Query, "missing", null)]
    [InlineData(HashKeySource.Query, "empty", null)]
    [InlineData(HashKeySource.Header, "X-Empty", null)]
    [InlineData(HashKeySource.Header, null, null)]
    public void ReadText_Source_ReturnsKeyOrNull(HashKeySource source, string? name, string? expected)
    {
        Assert.Equal(expected, HashKeyReader.ReadText(SampleRequest(), source, name));
    }

    [Fact]
    public void ReadText_HeaderSentTwice_FirstValue()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["X-Tenant"] = new(["first", "second"]);

        Assert.Equal("first", HashKeyReader.ReadText(context, HashKeySource.Header, "X-Tenant"));
    }

    [Fact]
    public void ReadText_EmptyPath_Null()
    {
        Assert.Null(HashKeyReader.ReadText(new DefaultHttpContext(), HashKeySource.Path, null));
    }

    [Fact]
    public void TryHash_KeyPresent_HashOfKeyUtf8()
    {
        Assert.True(HashKeyReader.TryHash(SampleRequest(), HashKeySource.Header, "X-Tenant", out var hash));
        Assert.Equal(XxHash64.HashUtf8("acme"), hash);
    }

    [Theory]
    [InlineData(HashKeySource.Header, "X-Missing")]
    [InlineData(HashKeySource.Query, "empty")]
    [InlineData(HashKeySource.ClientIp, null)]
    public void TryHash_NoKey_HashOfClientIp(HashKeySource source, string? name)
    {
        Assert.True(HashKeyReader.TryHash(SampleRequest(), source, name, out var hash));
        Assert.Equal(XxHash64.Hash([203, 0, 113, 7]), hash);
    }

    [Fact]
    public void TryHash_NoKeyAndNoClientIp_False()
    {
        Assert.False(HashKeyReader.TryHash(new DefaultHttpContext(), HashKeySource.Header, "X-Tenant", out _));
    }

    [Fact]
    public void HashAddress_Ipv4MappedToIpv6_SameAsIpv4()
    {
        var v4 = IPAddress.Parse("198.51.100.23");

        Assert.Equal(HashKeyReader.HashAddress(v4), HashKeyReader.HashAddress(v4.MapToIPv6()));
    }

    [Fact]
    public void HashAddress_Ipv6_HashOfSixteenBytes()
    {
        var v6 = IPAddress.Parse("2001:db8::42");

        Assert.Equal(XxHash64.Hash(v6.GetAddressBytes()), HashKeyReader.HashAddress(v6));
    }

    [Fact]
    public void HashAddress_DifferentAddresses_DifferentHashes()
    {
        Assert.NotEqual(
            HashKeyReader.HashAddress(IPAddress.Parse("10.0.0.1")),
            HashKeyReader.HashAddress(IPAddress.Parse("10.0.0.2")));
    }

    private static DefaultHttpContext SampleRequest()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["X-Tenant"] = "acme";
        context.Request.Headers["X-Empty"] = "";
        context.Request.QueryString = new QueryString("?tenant=from-query&user=a%20b&empty=");
        context.Request.Path = "/orders/42";
        context.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.7");
        return context;
    }
}
