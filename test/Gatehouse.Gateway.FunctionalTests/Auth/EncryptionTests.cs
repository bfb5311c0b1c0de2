using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gatehouse.Core.Security;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Sdk.Encryption;
using Gatehouse.Sdk.Signing;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.FunctionalTests.Auth;

/// <summary>
/// Payload encryption (<c>policy.encryption</c>) through a real gateway and a real backend that counts what reaches it:
/// envelopes made by the SDK or by hand with <see cref="PayloadEnvelope"/>.
/// </summary>
public class EncryptionTests : IAsyncLifetime
{
    private const string SecretA = "secret-of-app-a-0123456789";
    private const string SecretB = "secret-of-app-b-0123456789";
    private const string SecretC = "secret-of-app-c-0123456789";
    private EchoBackend _backend = null!;
    private GatewayTestHost _gateway = null!;
    private int _closedPort;

    public async Task InitializeAsync()
    {
        // The backend echoes what arrived: method, target, content type, length and body; /api/big answers 4 KiB.
        _backend = await EchoBackend.StartAsync("b", async context =>
        {
            var request = context.Request;
            if (request.Path.StartsWithSegments("/api/big"))
            {
                context.Response.ContentType = "application/octet-stream";
                await context.Response.Body.WriteAsync(new byte[4096]);
                return;
            }

            if (request.Path.StartsWithSegments("/api/missing"))
            {
                context.Response.StatusCode = 404;
                await context.Response.WriteAsync("no such order");
                return;
            }

            if (request.Path.StartsWithSegments("/api/nothing"))
            {
                context.Response.StatusCode = 204;
                return;
            }

            var body = await new StreamReader(request.Body).ReadToEndAsync();
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(
                $"{request.Method} {request.Path}{request.QueryString} ct={request.ContentType} len={request.ContentLength} [{body}]");
        });

        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            _closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        _gateway = await GatewayTestHost.StartAsync($$"""
            apps:
              - { appKey: app-a, secret: "{{SecretA}}", permissions: [svc, down] }
              - { appKey: app-b, secret: "{{SecretB}}", permissions: ["svc:other"] }
              - { appKey: app-c, secret: "{{SecretC}}", permissions: [svc] }
              - { appKey: app-off, secret: "{{SecretA}}", permissions: [svc], enabled: false }
            services:
              - name: svc
                policy: { encryption: { maxBodyBytes: 2048 } }
                nodes: [ { id: n1, address: "{{_backend.Address}}" } ]
                apis:
                  - { id: api, path: "/api/**" }
                  - { id: other, path: "/other/**" }
                  - { id: plain, path: "/plain", policy: { encryption: { required: false } } }
                  - { id: inonly, path: "/inonly", policy: { encryption: { encryptResponse: false } } }
                  - { id: signed, path: "/signed/**", policy: { auth: { sign: {} } } }
              - name: down
                policy: { encryption: {} }
                nodes: [ { id: n1, address: "http://127.0.0.1:{{_closedPort}}" } ]
                apis: [ { id: api, path: "/down" } ]
            """);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private Uri Url(string pathAndQuery) => new($"http://127.0.0.1:{_gateway.Port}{pathAndQuery}");

    private HttpClient EncryptingClient(string appKey, string secret) =>
        new(new GatehouseEncryptionHandler(new GatehousePayloadCipher(appKey, secret)) { InnerHandler = new SocketsHttpHandler { UseProxy = false } })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{_gateway.Port}"),
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>An envelope made by hand, for the appKey/method/target given (which may differ from where it is sent).</summary>
    private static (byte[] Envelope, byte[] Nonce) Seal(string secret, string appKey, string method, string pathAndQuery, string body,
        string? contentType = "application/json")
    {
        var uri = new Uri("http://x" + pathAndQuery);
        var plain = Encoding.UTF8.GetBytes(body);
        var nonce = RandomNumberGenerator.GetBytes(PayloadEnvelope.NonceSize);
        var envelope = new byte[PayloadEnvelope.SealedLength(PayloadEnvelope.ContentTypeBytes(contentType), plain.Length)];
        using var aes = new AesGcm(PayloadEnvelope.DeriveKey(secret), PayloadEnvelope.TagSize);
        PayloadEnvelope.Seal(aes, nonce, contentType, plain,
            PayloadEnvelope.RequestAad(appKey, method, RequestSigning.CanonicalPath(uri.AbsolutePath), RequestSigning.CanonicalQuery(uri.Query)),
            envelope);
        return (envelope, nonce);
    }

    private HttpRequestMessage Raw(HttpMethod method, string pathAndQuery, byte[]? body, string appKey = "app-a",
        string contentType = PayloadEnvelope.ContentType)
    {
        var request = new HttpRequestMessage(method, Url(pathAndQuery));
        request.Headers.Add("serviceName", pathAndQuery.StartsWith("/down", StringComparison.Ordinal) ? "down" : "svc");
        request.Headers.Add(RequestSigning.AppKeyHeader, appKey);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return request;
    }

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code, string? detail = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal(code, json.GetProperty("code").GetString());
        if (detail is not null)
        {
            Assert.Contains(detail, json.GetProperty("detail").GetString());
        }

        return json;
    }

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
        Assert.Equal(1, _backend.RequestCount);
        var seen = Assert.Single(_backend.Seen);
        Assert.Null(seen.Header("Transfer-Encoding"));
        Assert.Null(seen.Header("Accept-Encoding"));
    }

    [Fact]
    public async Task Response_OnTheWire_IsAnEnvelopeBoundToTheRequest()
    {
        var (envelope, nonce) = Seal(SecretA, "app-a", "PUT", "/api/x", "hello", "text/plain");
        using var request = Raw(HttpMethod.Put, "/api/x", envelope);

        using var response = await _gateway.Client.SendAsync(request);

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
        using var rawResponse = await _gateway.Client.SendAsync(raw);

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

    [Theory]
    [InlineData(20)]                                       // a ciphertext byte
    [InlineData(-1)]                                       // the last byte of the tag
    [InlineData(3)]                                        // the nonce
    public async Task TamperedEnvelope_BadCiphertext_NothingForwarded(int index)
    {
        var (envelope, _) = Seal(SecretA, "app-a", "POST", "/api/pay", "{\"amount\":1}");
        envelope[index < 0 ? envelope.Length + index : index] ^= 0x01;
        using var request = Raw(HttpMethod.Post, "/api/pay", envelope);

        using var response = await _gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad_ciphertext", "does not authenticate");
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task EnvelopeReplayedToAnotherApi_BadCiphertext()
    {
        var (envelope, _) = Seal(SecretA, "app-a", "POST", "/api/pay", "{\"amount\":1}");
        using var request = Raw(HttpMethod.Post, "/other/pay", envelope);

        using var response = await _gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad_ciphertext");
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task EnvelopeWithOtherQueryOrMethod_BadCiphertext()
    {
        var (envelope, _) = Seal(SecretA, "app-a", "POST", "/api/pay?to=alice", "{}");
        using var otherQuery = Raw(HttpMethod.Post, "/api/pay?to=mallory", envelope);
        using var otherMethod = Raw(HttpMethod.Put, "/api/pay?to=alice", envelope);

        using var first = await _gateway.Client.SendAsync(otherQuery);
        using var second = await _gateway.Client.SendAsync(otherMethod);

        await AssertProblemAsync(first, HttpStatusCode.BadRequest, "bad_ciphertext");
        await AssertProblemAsync(second, HttpStatusCode.BadRequest, "bad_ciphertext");
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task EnvelopeOfOneAppSentAsAnother_BadCiphertext()
    {
        // app-c may call the API, but the envelope was made with app-a's key (and binds app-a).
        var (envelope, _) = Seal(SecretA, "app-a", "POST", "/api/pay", "{}");
        using var request = Raw(HttpMethod.Post, "/api/pay", envelope, appKey: "app-c");

        using var response = await _gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad_ciphertext");
        Assert.Equal(0, _backend.RequestCount);
    }

    [Theory]
    [InlineData(new byte[] { 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "version")]
    [InlineData(new byte[] { 1, 2, 3 }, "shorter than")]
    public async Task MalformedEnvelope_BadCiphertext(byte[] envelope, string detail)
    {
        using var request = Raw(HttpMethod.Post, "/api/pay", envelope);

        using var response = await _gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad_ciphertext", detail);
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task OversizedBody_DeclaredLength_PayloadTooLarge_NothingForwarded()
    {
        var (envelope, _) = Seal(SecretA, "app-a", "POST", "/api/pay", new string('x', 3000));
        using var request = Raw(HttpMethod.Post, "/api/pay", envelope);

        using var response = await _gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large", "2048");
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task OversizedBody_Chunked_PayloadTooLarge_NothingForwarded()
    {
        var (envelope, _) = Seal(SecretA, "app-a", "POST", "/api/pay", new string('x', 3000));
        using var request = Raw(HttpMethod.Post, "/api/pay", null);
        request.Content = new StreamContent(new NonSeekableStream(envelope));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(PayloadEnvelope.ContentType);

        using var response = await _gateway.Client.SendAsync(request);

        Assert.True(request.Headers.TransferEncodingChunked != false);
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task ChunkedEnvelopeWithinLimit_ForwardedWithExactLength()
    {
        var (envelope, _) = Seal(SecretA, "app-a", "POST", "/api/pay", "{\"amount\":5}");
        using var request = Raw(HttpMethod.Post, "/api/pay", null);
        request.Content = new StreamContent(new NonSeekableStream(envelope));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(PayloadEnvelope.ContentType);

        using var response = await _gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(_backend.Seen);
        Assert.Equal("12", seen.Header("Content-Length"));
        Assert.Null(seen.Header("Transfer-Encoding"));
    }

    [Fact]
    public async Task ResponseOverLimit_BadGatewayResponseTooLarge_PlainProblem()
    {
        using var request = Raw(HttpMethod.Get, "/api/big", null);

        using var response = await _gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadGateway, "response_too_large");
        Assert.Equal(1, _backend.RequestCount);
    }

    [Fact]
    public async Task PlainBodyOnEncryptedApi_UnsupportedMediaType_NothingForwarded()
    {
        using var request = Raw(HttpMethod.Post, "/api/pay", Encoding.UTF8.GetBytes("{\"amount\":1}"), contentType: "application/json");
        using var untyped = Raw(HttpMethod.Post, "/api/pay", null);
        untyped.Content = new ByteArrayContent([1, 2, 3]);

        using var response = await _gateway.Client.SendAsync(request);
        using var untypedResponse = await _gateway.Client.SendAsync(untyped);

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type", PayloadEnvelope.ContentType);
        await AssertProblemAsync(untypedResponse, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        Assert.Equal(0, _backend.RequestCount);
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

        using var response = await _gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized", detail);
        Assert.Equal(0, _backend.RequestCount);
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
        Assert.Equal(1, _backend.RequestCount);
    }

    [Fact]
    public async Task EncryptionTurnedOffForApi_PlainPasses()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url("/plain")) { Content = new StringContent("hi") };
        request.Headers.Add("serviceName", "svc");

        using var response = await _gateway.Client.SendAsync(request);

        Assert.Equal("POST /plain ct=text/plain; charset=utf-8 len=2 [hi]", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task EncryptResponseFalse_RequestDecrypted_ResponsePlain()
    {
        var (envelope, _) = Seal(SecretA, "app-a", "POST", "/inonly", "secret stuff", "text/plain");
        using var request = Raw(HttpMethod.Post, "/inonly", envelope);

        using var response = await _gateway.Client.SendAsync(request);

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
            BaseAddress = new Uri($"http://127.0.0.1:{_gateway.Port}"),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/signed/pay") { Content = new StringContent("{\"amount\":3}") };
        request.Headers.Add("serviceName", "svc");

        using var response = await client.SendAsync(request);

        Assert.Equal("POST /signed/pay ct=text/plain; charset=utf-8 len=12 [{\"amount\":3}]", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PolicyView_ShowsEncryptionAndItsLevel()
    {
        var view = await _gateway.Control.GetFromJsonAsync<JsonElement>("/control/policy?service=svc&api=inonly");

        var member = view.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("member").GetString() == "encryption");
        Assert.Equal("api", member.GetProperty("source").GetString());
        Assert.False(member.GetProperty("value").GetProperty("encryptResponse").GetBoolean());
    }

    /// <summary>A stream without a length, so HttpClient sends the body chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
