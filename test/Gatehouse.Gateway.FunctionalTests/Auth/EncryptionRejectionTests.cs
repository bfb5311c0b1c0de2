using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gatehouse.Core.Security;

namespace Gatehouse.Gateway.FunctionalTests.Auth;

/// <summary>Payload encryption, what is refused: in every case here the node receives nothing (or, for the response limit, nothing of it is sent).</summary>
public class EncryptionRejectionTests : EncryptionTestBase
{
    [Theory]
    [InlineData(20)]                                       // a ciphertext byte
    [InlineData(-1)]                                       // the last byte of the tag
    [InlineData(3)]                                        // the nonce
    public async Task TamperedEnvelope_BadCiphertext_NothingForwarded(int index)
    {
        var (envelope, _) = Seal(SecretA, "app-a", "POST", "/api/pay", "{\"amount\":1}");
        envelope[index < 0 ? envelope.Length + index : index] ^= 0x01;
        using var request = Raw(HttpMethod.Post, "/api/pay", envelope);

        using var response = await Gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad_ciphertext", "does not authenticate");
        Assert.Equal(0, Backend.RequestCount);
    }

    [Fact]
    public async Task EnvelopeReplayedToAnotherApi_BadCiphertext()
    {
        var (envelope, _) = Seal(SecretA, "app-a", "POST", "/api/pay", "{\"amount\":1}");
        using var request = Raw(HttpMethod.Post, "/other/pay", envelope);

        using var response = await Gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad_ciphertext");
        Assert.Equal(0, Backend.RequestCount);
    }

    [Fact]
    public async Task EnvelopeWithOtherQueryOrMethod_BadCiphertext()
    {
        var (envelope, _) = Seal(SecretA, "app-a", "POST", "/api/pay?to=alice", "{}");
        using var otherQuery = Raw(HttpMethod.Post, "/api/pay?to=mallory", envelope);
        using var otherMethod = Raw(HttpMethod.Put, "/api/pay?to=alice", envelope);

        using var first = await Gateway.Client.SendAsync(otherQuery);
        using var second = await Gateway.Client.SendAsync(otherMethod);

        await AssertProblemAsync(first, HttpStatusCode.BadRequest, "bad_ciphertext");
        await AssertProblemAsync(second, HttpStatusCode.BadRequest, "bad_ciphertext");
        Assert.Equal(0, Backend.RequestCount);
    }

    [Fact]
    public async Task EnvelopeOfOneAppSentAsAnother_BadCiphertext()
    {
        // app-c may call the API, but the envelope was made with app-a's key (and binds app-a).
        var (envelope, _) = Seal(SecretA, "app-a", "POST", "/api/pay", "{}");
        using var request = Raw(HttpMethod.Post, "/api/pay", envelope, appKey: "app-c");

        using var response = await Gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad_ciphertext");
        Assert.Equal(0, Backend.RequestCount);
    }

    [Theory]
    [InlineData(new byte[] { 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "version")]
    [InlineData(new byte[] { 1, 2, 3 }, "shorter than")]
    public async Task MalformedEnvelope_BadCiphertext(byte[] envelope, string detail)
    {
        using var request = Raw(HttpMethod.Post, "/api/pay", envelope);

        using var response = await Gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad_ciphertext", detail);
        Assert.Equal(0, Backend.RequestCount);
    }

    [Fact]
    public async Task OversizedBody_DeclaredLength_PayloadTooLarge_NothingForwarded()
    {
        var (envelope, _) = Seal(SecretA, "app-a", "POST", "/api/pay", new string('x', 3000));
        using var request = Raw(HttpMethod.Post, "/api/pay", envelope);

        using var response = await Gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large", "2048");
        Assert.Equal(0, Backend.RequestCount);
    }

    [Fact]
    public async Task OversizedBody_Chunked_PayloadTooLarge_NothingForwarded()
    {
        var (envelope, _) = Seal(SecretA, "app-a", "POST", "/api/pay", new string('x', 3000));
        using var request = Raw(HttpMethod.Post, "/api/pay", null);
        request.Content = new StreamContent(new NonSeekableStream(envelope));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(PayloadEnvelope.ContentType);

        using var response = await Gateway.Client.SendAsync(request);

        Assert.True(request.Headers.TransferEncodingChunked != false);
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        Assert.Equal(0, Backend.RequestCount);
    }

    [Fact]
    public async Task ResponseOverLimit_BadGatewayResponseTooLarge_PlainProblem()
    {
        using var request = Raw(HttpMethod.Get, "/api/big", null);

        using var response = await Gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadGateway, "response_too_large");
        Assert.Equal(1, Backend.RequestCount);
    }

    [Fact]
    public async Task PlainBodyOnEncryptedApi_UnsupportedMediaType_NothingForwarded()
    {
        using var request = Raw(HttpMethod.Post, "/api/pay", Encoding.UTF8.GetBytes("{\"amount\":1}"), contentType: "application/json");
        using var untyped = Raw(HttpMethod.Post, "/api/pay", null);
        untyped.Content = new ByteArrayContent([1, 2, 3]);

        using var response = await Gateway.Client.SendAsync(request);
        using var untypedResponse = await Gateway.Client.SendAsync(untyped);

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type", PayloadEnvelope.ContentType);
        await AssertProblemAsync(untypedResponse, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        Assert.Equal(0, Backend.RequestCount);
    }

    [Theory]
    [InlineData(null, "X-Gatehouse-AppKey")]
    [InlineData("app-z", "Unknown appKey")]
    [InlineData("app-off", "Unknown appKey")]
    public async Task UnknownMissingOrDisabledApp_Unauthorized(string? appKey, string detail)
    {
        var (envelope, _) = Seal(SecretA, appKey ?? "app-a", "POST", "/api/pay", "{}");
        using var request = Raw(HttpMethod.Post, "/api/pay", envelope, appKey: appKey ?? "");
        if (appKey is null)
        {
            request.Headers.Remove(RequestSigning.AppKeyHeader);
        }

        using var response = await Gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized", detail);
        Assert.Equal(0, Backend.RequestCount);
    }

    [Fact]
    public async Task AppWithoutPermission_Forbidden_ButPermittedApiWorks()
    {
        using var client = EncryptingClient("app-b", SecretB);
        using var refused = new HttpRequestMessage(HttpMethod.Post, "/api/pay") { Content = new StringContent("{}") };
        refused.Headers.Add("serviceName", "svc");
        using var allowed = new HttpRequestMessage(HttpMethod.Post, "/other/pay") { Content = new StringContent("{}") };
        allowed.Headers.Add("serviceName", "svc");

        using var forbidden = await client.SendAsync(refused);
        using var ok = await client.SendAsync(allowed);

        await AssertProblemAsync(forbidden, HttpStatusCode.Forbidden, "forbidden", "app-b");
        Assert.Equal("POST /other/pay ct=text/plain; charset=utf-8 len=2 [{}]", await ok.Content.ReadAsStringAsync());
        Assert.Equal(1, Backend.RequestCount);
    }
}
