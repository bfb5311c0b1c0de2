using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gatehouse.Core.Security;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Sdk.Encryption;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.FunctionalTests.Auth;

/// <summary>
/// A real gateway and a real backend that counts and echoes what reaches it, for the payload encryption tests
/// (<c>policy.encryption</c>): envelopes are made by the SDK or by hand with <see cref="PayloadEnvelope"/>.
/// </summary>
public abstract class EncryptionTestBase : IAsyncLifetime
{
    protected const string SecretA = "secret-of-app-a-0123456789";
    protected const string SecretB = "secret-of-app-b-0123456789";
    protected const string SecretC = "secret-of-app-c-0123456789";
    private EchoBackend _backend = null!;
    private GatewayTestHost _gateway = null!;
    private int _closedPort;

    private protected EchoBackend Backend => _backend;

    private protected GatewayTestHost Gateway => _gateway;

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

        _closedPort = Gatehouse.Testing.LoopbackPorts.Next();

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

    protected Uri Url(string pathAndQuery) => new($"http://127.0.0.1:{_gateway.Port}{pathAndQuery}");

    protected HttpClient EncryptingClient(string appKey, string secret) =>
        new(new GatehouseEncryptionHandler(new GatehousePayloadCipher(appKey, secret)) { InnerHandler = new SocketsHttpHandler { UseProxy = false } })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{_gateway.Port}"),
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>An envelope made by hand, for the appKey/method/target given (which may differ from where it is sent).</summary>
    protected static (byte[] Envelope, byte[] Nonce) Seal(string secret, string appKey, string method, string pathAndQuery, string body,
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

    protected HttpRequestMessage Raw(HttpMethod method, string pathAndQuery, byte[]? body, string appKey = "app-a",
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

    protected static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code, string? detail = null)
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

    /// <summary>A stream without a length, so HttpClient sends the body chunked.</summary>
    protected sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
