using System.Text;
using Gatehouse.Core.Security;
using Gatehouse.Sdk.Signing;

namespace Gatehouse.Sdk.Tests;

public class GatehouseSignerTests
{
    private const string Secret = "0123456789abcdef";

    [Fact]
    public async Task SignAsync_SetsHeaders_ThatVerifyAgainstTheCanonicalRequest()
    {
        var signer = new GatehouseSigner("app", Secret, ["content-type"]);
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://gw.test/orders/a%20b?z=1&a=%2B")
        {
            Content = new StringContent("{\"x\":1}", Encoding.UTF8, "application/json"),
        };

        await signer.SignAsync(request);

        var timestamp = long.Parse(request.Headers.GetValues(RequestSigning.TimestampHeader).Single());
        var nonce = request.Headers.GetValues(RequestSigning.NonceHeader).Single();
        Assert.Equal("app", request.Headers.GetValues(RequestSigning.AppKeyHeader).Single());
        Assert.Equal(32, nonce.Length);
        Assert.InRange(timestamp, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());
        var expected = RequestSigning.StringToSign("app", "POST", "/orders/a%20b", "a=%2B&z=1",
            [new("content-type", "application/json; charset=utf-8")], RequestSigning.BodyHash(Encoding.UTF8.GetBytes("{\"x\":1}")), timestamp, nonce);
        Assert.True(RequestSigning.Verify(Encoding.UTF8.GetBytes(Secret), expected, request.Headers.GetValues(RequestSigning.SignatureHeader).Single()));
    }

    [Fact]
    public async Task SignAsync_Twice_FreshNonceAndOneSetOfHeaders()
    {
        var signer = new GatehouseSigner("app", Secret);
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://gw.test/x");

        await signer.SignAsync(request);
        var firstNonce = request.Headers.GetValues(RequestSigning.NonceHeader).Single();
        await signer.SignAsync(request);

        Assert.NotEqual(firstNonce, request.Headers.GetValues(RequestSigning.NonceHeader).Single());
        Assert.Single(request.Headers.GetValues(RequestSigning.SignatureHeader));
    }

    [Fact]
    public void Sign_RelativeUri_Refused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/x");

        Assert.Throws<InvalidOperationException>(() => new GatehouseSigner("app", Secret).Sign(request, [], 1, "n"));
    }
}
