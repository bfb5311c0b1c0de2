using Gatehouse.Gateway.Forwarding;

namespace Gatehouse.Gateway.Tests.Forwarding;

public sealed class HeaderRulesTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("keep-alive", false)]
    [InlineData("Keep-Alive, close", false)]
    [InlineData("Upgrade", false)]
    [InlineData("keep-alive, X-Foo", true)]
    [InlineData(" ,x-foo", true)]
    public void HasCustomConnectionOptions_OnlyForNonStandardTokens(string? connection, bool expected)
    {
        Assert.Equal(expected, HeaderRules.HasCustomConnectionOptions(connection));
    }

    [Theory]
    [InlineData("keep-alive, X-Foo", "x-foo", true)]
    [InlineData("X-Foo ,X-Bar", "X-Bar", true)]
    [InlineData("X-Foobar", "X-Foo", false)]
    [InlineData(",,", "X-Foo", false)]
    public void IsListedInConnection_MatchesWholeTokensIgnoringCase(string connection, string name, bool expected)
    {
        Assert.Equal(expected, HeaderRules.IsListedInConnection(connection, name));
    }
}
