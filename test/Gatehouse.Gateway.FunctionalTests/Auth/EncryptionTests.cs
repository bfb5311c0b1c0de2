using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gatehouse.Core.Security;
using Gatehouse.Sdk.Encryption;
using Gatehouse.Sdk.Signing;

namespace Gatehouse.Gateway.FunctionalTests.Auth;

/// <summary>Payload encryption, what passes: round trips, bodiless requests, statuses, turned-off APIs, signing too.</summary>
public class EncryptionTests : EncryptionTestBase
{
    [Fact]
    public async Task RoundTrip_SdkHandler_BackendSeesPlaintext_ClientReadsPlaintext()
    {
        using var client = EncryptingClient("app-a", SecretA);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders/%7E1?b=2&a=x%20y")
        {
            Content = new StringContent("{\"item\":42}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("serviceName", "svc");

        using var response = await client.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("POST /api/orders/~1?b=2&a=x%20y ct=application/json; charset=utf-8 len=11 [{\"item\":42}]", text);
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(1, Backend.RequestCount);
        var seen = Assert.Single(Backend.Seen);
        Assert.Null(seen.Header("Transfer-Encoding"));
        Assert.Null(seen.Header("Accept-Encoding"));
    }

    [Fact]
    public async Task Response_OnTheWire_IsAnEnvelopeBoundToTheRequest()
    {
        var (envelope, nonce) = Seal(SecretA, "app-a", "PUT", "/api/x", "hello", "text/plain");
        using var request = Raw(HttpMethod.Put, "/api/x", envelope);

        using var response = await Gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(PayloadEnvelope.ContentType, response.Content.Headers.ContentType?.MediaType);
        var sealedBody = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(sealedBody.Length, response.Content.Headers.ContentLength);
        using var aes = new AesGcm(PayloadEnvelope.DeriveKey(SecretA), PayloadEnvelope.TagSize);
        var aad = PayloadEnvelope.ResponseAad("app-a", "PUT", "/api/x", "", 200, nonce);
        Assert.Equal(OpenResult.Ok, PayloadEnvelope.Open(aes, sealedBody, aad, out var contentType, out var body));
        Assert.Equal("text/plain; charset=utf-8", contentType);
        Assert.Equal("PUT /api/x ct=text/plain len=5 [hello]", Encoding.UTF8.GetString(sealedBody[body]));
    }

    [Fact]
    public async Task GetWithoutBody_Forwarded_ResponseStillEncrypted()
    {
        using var client = EncryptingClient("app-a", SecretA);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/list?page=2");
        request.Headers.Add("serviceName", "svc");
        using var raw = Raw(HttpMethod.Get, "/api/list?page=2", null);

        using var response = await client.SendAsync(request);
        using var rawResponse = await Gateway.Client.SendAsync(raw);

        Assert.Equal("GET /api/list?page=2 ct= len= []", await response.Content.ReadAsStringAsync());
        Assert.Equal(PayloadEnvelope.ContentType, rawResponse.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task UpstreamErrorStatus_EncryptedWithItsStatus_NoBodyStatusUntouched()
    {
        using var client = EncryptingClient("app-a", SecretA);
        using var missing = new HttpRequestMessage(HttpMethod.Get, "/api/missing");
        missing.Headers.Add("serviceName", "svc");
        using var nothing = new HttpRequestMessage(HttpMethod.Delete, "/api/nothing");
        nothing.Headers.Add("serviceName", "svc");

        using var notFound = await client.SendAsync(missing);
        using var noContent = await client.SendAsync(nothing);

        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal("no such order", await notFound.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NoContent, noContent.StatusCode);
        Assert.Empty(await noContent.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ChunkedEnvelopeWithinLimit_ForwardedWithExactLength()
    {
        var (envelope, _) = Seal(SecretA, "app-a", "POST", "/api/pay", "{\"amount\":5}");
        using var request = Raw(HttpMethod.Post, "/api/pay", null);
        request.Content = new StreamContent(new NonSeekableStream(envelope));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(PayloadEnvelope.ContentType);

        using var response = await Gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(Backend.Seen);
        Assert.Equal("12", seen.Header("Content-Length"));
        Assert.Null(seen.Header("Transfer-Encoding"));
    }

    [Fact]
    public async Task EncryptionTurnedOffForApi_PlainPasses()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url("/plain")) { Content = new StringContent("hi") };
        request.Headers.Add("serviceName", "svc");

        using var response = await Gateway.Client.SendAsync(request);

        Assert.Equal("POST /plain ct=text/plain; charset=utf-8 len=2 [hi]", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task EncryptResponseFalse_RequestDecrypted_ResponsePlain()
    {
        var (envelope, _) = Seal(SecretA, "app-a", "POST", "/inonly", "secret stuff", "text/plain");
        using var request = Raw(HttpMethod.Post, "/inonly", envelope);

        using var response = await Gateway.Client.SendAsync(request);

        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("POST /inonly ct=text/plain len=12 [secret stuff]", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task UpstreamUnreachable_ProblemStaysPlain()
    {
        using var client = EncryptingClient("app-a", SecretA);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/down") { Content = new StringContent("{}") };
        request.Headers.Add("serviceName", "down");

        using var response = await client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadGateway, "upstream_unreachable");
    }

    [Fact]
    public async Task SignedAndEncrypted_SignatureCoversTheEnvelope()
    {
        var signer = new GatehouseSigner("app-a", SecretA);
        var cipher = new GatehousePayloadCipher("app-a", SecretA);
        using var client = new HttpClient(new GatehouseEncryptionHandler(cipher)
        {
            InnerHandler = new GatehouseSigningHandler(signer) { InnerHandler = new SocketsHttpHandler { UseProxy = false } },
        })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{Gateway.Port}"),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/signed/pay") { Content = new StringContent("{\"amount\":3}") };
        request.Headers.Add("serviceName", "svc");

        using var response = await client.SendAsync(request);

        Assert.Equal("POST /signed/pay ct=text/plain; charset=utf-8 len=12 [{\"amount\":3}]", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PolicyView_ShowsEncryptionAndItsLevel()
    {
        var view = await Gateway.Control.GetFromJsonAsync<JsonElement>("/control/policy?service=svc&api=inonly");

        var member = view.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("member").GetString() == "encryption");
        Assert.Equal("api", member.GetProperty("source").GetString());
        Assert.False(member.GetProperty("value").GetProperty("encryptResponse").GetBoolean());
    }
}
