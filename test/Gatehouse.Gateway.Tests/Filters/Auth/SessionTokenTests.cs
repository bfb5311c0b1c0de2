using Gatehouse.Gateway.Filters.Auth;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.Filters.Auth;

public class SessionTokenTests
{
    private static (SessionTokenRead Read, string Token) Read(string? header, string? cookie, params (string Name, string Value)[] sent)
    {
        var headers = new HeaderDictionary();
        foreach (var (name, value) in sent)
        {
            headers.Append(name, value);
        }

        var read = SessionToken.Read(headers, header, cookie, out var token);
        return (read, token.ToString());
    }

    [Theory]
    [InlineData("SESSION=abc", "abc")]
    [InlineData("a=1; SESSION=abc; b=2", "abc")]
    [InlineData("a=1;SESSION=abc", "abc")]
    [InlineData("  SESSION = abc  ", "abc")]
    [InlineData("SESSION=\"abc\"", "abc")]
    [InlineData("SESSION=abc; SESSION=def", "abc")]
    [InlineData("XSESSION=no; SESSION=abc", "abc")]
    [InlineData("SESSION=a=b", "a=b")]
    public void Cookie_Found(string cookieHeader, string token)
    {
        Assert.Equal((SessionTokenRead.Found, token), Read(null, "SESSION", ("Cookie", cookieHeader)));
    }

    [Theory]
    [InlineData("session=abc")]
    [InlineData("SESSIONX=abc")]
    [InlineData("SESSION=")]
    [InlineData("")]
    public void Cookie_Missing(string cookieHeader)
    {
        Assert.Equal(SessionTokenRead.Missing, Read(null, "SESSION", ("Cookie", cookieHeader)).Read);
    }

    [Fact]
    public void CookieInASecondCookieHeader_Found()
    {
        // HTTP/2 may split cookies over several header fields (RFC 9113 §8.2.3).
        Assert.Equal((SessionTokenRead.Found, "abc"), Read(null, "SESSION", ("Cookie", "a=1"), ("Cookie", "SESSION=abc")));
    }

    [Fact]
    public void Header_TakesPrecedenceOverCookie()
    {
        Assert.Equal((SessionTokenRead.Found, "from-header"),
            Read("X-Session-Token", "SESSION", ("X-Session-Token", " from-header "), ("Cookie", "SESSION=from-cookie")));
    }

    [Fact]
    public void EmptyHeader_FallsBackToCookie()
    {
        Assert.Equal((SessionTokenRead.Found, "from-cookie"), Read("X-Session-Token", "SESSION", ("X-Session-Token", ""), ("Cookie", "SESSION=from-cookie")));
    }

    [Fact]
    public void TwoHeaderValues_Malformed()
    {
        Assert.Equal(SessionTokenRead.Malformed, Read("X-Session-Token", null, ("X-Session-Token", "a"), ("X-Session-Token", "b")).Read);
    }

    [Fact]
    public void NonAsciiOrOverlong_Malformed()
    {
        Assert.Equal(SessionTokenRead.Malformed, Read("X-Session-Token", null, ("X-Session-Token", "tökén")).Read);
        Assert.Equal(SessionTokenRead.Malformed, Read("X-Session-Token", null, ("X-Session-Token", new string('a', SessionToken.MaxLength + 1))).Read);
        Assert.Equal(SessionTokenRead.Found, Read("X-Session-Token", null, ("X-Session-Token", new string('a', SessionToken.MaxLength))).Read);
    }

    [Fact]
    public void Key_SameTokenSameKey_OtherTokenOrMacKeyDiffers()
    {
        var macKey = new byte[16];
        var other = new byte[16];
        other[0] = 1;

        Assert.Equal(SessionToken.Key(macKey, "abc"), SessionToken.Key(macKey, "abc"));
        Assert.NotEqual(SessionToken.Key(macKey, "abc"), SessionToken.Key(macKey, "abd"));
        Assert.NotEqual(SessionToken.Key(macKey, "abc"), SessionToken.Key(other, "abc"));
    }
}
