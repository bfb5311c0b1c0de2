using System.Net;
using Gatehouse.Core.Net;

namespace Gatehouse.Core.Tests.Net;

public class IpRangeTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0", "10.255.255.255")]
    [InlineData("192.0.2.7", "192.0.2.7", "192.0.2.7")]
    [InlineData("0.0.0.0/0", "0.0.0.0", "255.255.255.255")]
    [InlineData("2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("::1", "::1", "::1")]
    [InlineData(" 172.16.0.0/12 ", "172.16.0.0", "172.31.255.255")]
    public void TryParse_Valid_CoversExactlyTheBlock(string text, string first, string last)
    {
        Assert.True(IpRange.TryParse(text, out var range, out var error), error);

        Assert.Equal(IpRange.ToUInt128(IPAddress.Parse(first)), range.First);
        Assert.Equal(IpRange.ToUInt128(IPAddress.Parse(last)), range.Last);
    }

    [Fact]
    public void TryParse_MappedIpv6Block_EqualsIpv4Block()
    {
        Assert.True(IpRange.TryParse("::ffff:10.0.0.0/104", out var mapped, out _));
        Assert.True(IpRange.TryParse("10.0.0.0/8", out var v4, out _));

        Assert.Equal(v4, mapped);
    }

    [Fact]
    public void ToUInt128_Ipv4AndItsMappedForm_AreTheSameNumber()
    {
        var v4 = IPAddress.Parse("203.0.113.9");

        Assert.Equal(IpRange.ToUInt128(v4), IpRange.ToUInt128(v4.MapToIPv6()));
        Assert.NotEqual(IpRange.ToUInt128(v4), IpRange.ToUInt128(IPAddress.Parse("::203.0.113.9")));
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("10.0.0", "not a valid IP address or CIDR block")]
    [InlineData("10.0.0.0/33", "invalid prefix length; expected 0..32")]
    [InlineData("::/129", "invalid prefix length; expected 0..128")]
    [InlineData("10.0.0.0/", "invalid prefix length")]
    [InlineData("10.0.0.0/-1", "invalid prefix length")]
    [InlineData("10.0.0.1/8", "bits set past the /8 prefix; write the network address (e.g. 10.0.0.0/8)")]
    [InlineData("2001:db8::1/32", "bits set past the /32 prefix; write the network address (e.g. 2001:db8::/32)")]
    [InlineData("fe80::1%eth0", "not a valid IP address")]
    [InlineData("example.com", "not a valid IP address")]
    public void TryParse_Invalid_SaysWhy(string text, string message)
    {
        Assert.False(IpRange.TryParse(text, out _, out var error));

        Assert.Contains(message, error, StringComparison.Ordinal);
    }
}

public class IpRangeSetTests
{
    [Fact]
    public void Contains_V4V6AndMapped()
    {
        var set = IpRangeSet.Parse(["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"]);

        Assert.True(set.Contains(IPAddress.Parse("10.1.2.3")));
        Assert.True(set.Contains(IPAddress.Parse("::ffff:10.1.2.3")));
        Assert.True(set.Contains(IPAddress.Parse("192.0.2.7")));
        Assert.False(set.Contains(IPAddress.Parse("192.0.2.8")));
        Assert.False(set.Contains(IPAddress.Parse("11.0.0.0")));
        Assert.False(set.Contains(IPAddress.Parse("9.255.255.255")));
        Assert.True(set.Contains(IPAddress.Parse("2001:db8:1::5")));
        Assert.False(set.Contains(IPAddress.Parse("2001:db9::")));
    }

    [Fact]
    public void Create_OverlappingAndAdjacentBlocks_MergeIntoOneInterval()
    {
        var set = IpRangeSet.Parse(["10.0.0.0/9", "10.128.0.0/9", "10.1.0.0/16", "10.0.0.0/8", "12.0.0.0/8"]);

        Assert.Equal(2, set.IntervalCount);
        Assert.True(set.Contains(IPAddress.Parse("10.200.0.1")));
        Assert.False(set.Contains(IPAddress.Parse("11.0.0.1")));
        Assert.True(set.Contains(IPAddress.Parse("12.0.0.1")));
    }

    [Fact]
    public void Contains_EverythingBlock_IncludesTopAddress()
    {
        var set = IpRangeSet.Parse(["::/0", "0.0.0.0/0"]);

        Assert.Equal(1, set.IntervalCount);
        Assert.True(set.Contains(IPAddress.Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
        Assert.True(set.Contains(IPAddress.Parse("1.2.3.4")));
    }

    [Fact]
    public void Empty_ContainsNothing()
    {
        Assert.True(IpRangeSet.Parse([]).IsEmpty);
        Assert.False(IpRangeSet.Empty.Contains(IPAddress.Loopback));
    }
}
