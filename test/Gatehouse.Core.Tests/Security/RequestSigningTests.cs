using System.Security.Cryptography;
using System.Text;
using Gatehouse.Core.Security;

namespace Gatehouse.Core.Tests.Security;

public class RequestSigningTests
{
    [Theory]
    [InlineData("/orders/42", "/orders/42")]
    [InlineData("/a%20b/c d", "/a%20b/c%20d")]
    [InlineData("/%7euser/%41", "/~user/A")]
    [InlineData("/x%2Fy", "/x/y")]
    [InlineData("/caf\u00e9", "/caf%C3%A9")]
    [InlineData("/a+b!", "/a%2Bb%21")]
    [InlineData("", "/")]
    public void CanonicalPath_DecodesThenEncodesRfc3986(string raw, string expected) =>
        Assert.Equal(expected, RequestSigning.CanonicalPath(raw));

    [Theory]
    [InlineData("?b=2&a=1", "a=1&b=2")]
    [InlineData("b=2&a=1&a=0", "a=0&a=1&b=2")]
    [InlineData("?q=a%20b&flag&x=", "flag=&q=a%20b&x=")]
    [InlineData("?q=a+b&%7e=1", "q=a%2Bb&~=1")]
    [InlineData("", "")]
    [InlineData("?", "")]
    public void CanonicalQuery_SortsAndEncodes(string raw, string expected) =>
        Assert.Equal(expected, RequestSigning.CanonicalQuery(raw));

    [Fact]
    public void StringToSign_HasTheDocumentedLayout()
    {
        var text = RequestSigning.StringToSign("app", "post", "/p", "a=1",
            [new("X-B", " two "), new("Content-Type", "application/json")], "abc", 1700000000000, "n1");

        Assert.Equal("GATEHOUSE-HMAC-SHA256\napp\nPOST\n/p\na=1\ncontent-type:application/json\nx-b:two\nabc\n1700000000000\nn1", text);
    }

    [Fact]
    public void Sign_IsBase64HmacSha256_AndVerifies()
    {
        var secret = Encoding.UTF8.GetBytes("0123456789abcdef");
        var text = RequestSigning.StringToSign("app", "GET", "/", "", [], RequestSigning.EmptyBodyHash, 1, "n");

        var signature = RequestSigning.Sign(secret, text);

        Assert.Equal(Convert.ToBase64String(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(text))), signature);
        Assert.True(RequestSigning.Verify(secret, text, signature));
        Assert.False(RequestSigning.Verify(Encoding.UTF8.GetBytes("another-secret-value"), text, signature));
        Assert.False(RequestSigning.Verify(secret, text + "x", signature));
        Assert.False(RequestSigning.Verify(secret, text, "not base64!"));
        Assert.False(RequestSigning.Verify(secret, text, signature[..^4]));
    }

    [Fact]
    public void BodyHash_IsLowerHexSha256() =>
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", RequestSigning.BodyHash([]));
}
