using Gatehouse.Gateway.Forwarding;

namespace Gatehouse.Gateway.Tests.Forwarding;

public sealed class RequestIdGeneratorTests
{
    [Fact]
    public void Next_CompactLowercaseBase32AndUnique()
    {
        var seen = new HashSet<string>();
        for (var i = 0; i < 10_000; i++)
        {
            var id = RequestIdGenerator.Next();
            Assert.Matches("^[0-9a-v]{20}$", id);
            Assert.True(seen.Add(id), id);
        }
    }

    [Fact]
    public void Next_SameProcessPrefix()
    {
        Assert.Equal(RequestIdGenerator.Next()[..7], RequestIdGenerator.Next()[..7]);
    }

    [Theory]
    [InlineData("abc-123", true)]
    [InlineData("0af7651916cd43dd8448eb211c80319c", true)]
    [InlineData("", false)]
    [InlineData("a b", false)]
    [InlineData("tab\there", false)]
    [InlineData("caf\u00e9", false)]
    public void IsAcceptable_VisibleAsciiOnly(string value, bool expected)
    {
        Assert.Equal(expected, RequestIdGenerator.IsAcceptable(value));
    }

    [Fact]
    public void IsAcceptable_TooLong_Rejected()
    {
        Assert.True(RequestIdGenerator.IsAcceptable(new string('a', RequestIdGenerator.MaxIncomingLength)));
        Assert.False(RequestIdGenerator.IsAcceptable(new string('a', RequestIdGenerator.MaxIncomingLength + 1)));
    }
}
