using System.Net;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Core.Security;
using Gatehouse.Sdk.Encryption;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Sdk.Tests;

/// <summary>
/// The SDK's encryption handler against a real Kestrel server that plays the gateway's part with
/// <see cref="PayloadEnvelope"/>: opens the request envelope bound to the target it received, answers with a sealed
/// response (or, on demand, a tampered one or a plain problem).
/// </summary>
public class GatehouseEncryptionHandlerTests : IAsyncLifetime
{
    private const string Secret = "secret-of-sdk-app-0123456789";
    private static readonly byte[] Key = PayloadEnvelope.DeriveKey(Secret);
    private WebApplication _server = null!;
    private string _address = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        _server = builder.Build();
        _server.Run(ServeAsync);
        await _server.StartAsync();
        _address = _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
    }

    public async Task DisposeAsync()
    {
        await _server.StopAsync();
        await _server.DisposeAsync();
    }

    private static async Task ServeAsync(HttpContext context)
    {
        var request = context.Request;
        var appKey = request.Headers[RequestSigning.AppKeyHeader].ToString();
        var raw = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var question = raw.IndexOf('?');
        var path = RequestSigning.CanonicalPath(question < 0 ? raw : raw[..question]);
        var query = RequestSigning.CanonicalQuery(question < 0 ? "" : raw[question..]);
        using var aes = new AesGcm(Key, PayloadEnvelope.TagSize);

        var received = "(none)";
        byte[] requestNonce = [];
        if (request.ContentLength > 0)
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            var envelope = buffer.ToArray();
            var opened = PayloadEnvelope.Open(aes, envelope, PayloadEnvelope.RequestAad(appKey, request.Method, path, query), out var type, out var body);
            if (opened != OpenResult.Ok || request.ContentType != PayloadEnvelope.ContentType)
            {
                context.Response.StatusCode = 400;
                context.Response.ContentType = "application/problem+json";
                await context.Response.WriteAsync($"{{\"code\":\"bad_ciphertext\",\"detail\":\"{opened}\"}}");
                return;
            }

            requestNonce = PayloadEnvelope.NonceOf(envelope).ToArray();
            received = $"{type}|{Encoding.UTF8.GetString(envelope[body])}";
        }

        var status = request.Path == "/created" ? 201 : 200;
        var reply = Encoding.UTF8.GetBytes($"{request.Method} {path}?{query} got {received}");
        var sealedReply = new byte[PayloadEnvelope.SealedLength("text/plain".Length, reply.Length)];
        var nonce = RandomNumberGenerator.GetBytes(PayloadEnvelope.NonceSize);
        PayloadEnvelope.Seal(aes, nonce, "text/plain", reply, PayloadEnvelope.ResponseAad(appKey, request.Method, path, query, status, requestNonce), sealedReply);
        if (request.Path == "/tampered")
        {
            sealedReply[20] ^= 1;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = PayloadEnvelope.ContentType;
        await context.Response.Body.WriteAsync(sealedReply);
    }

    private HttpClient Client(string appKey = "sdk-app", string secret = Secret) =>
        new(new GatehouseEncryptionHandler(new GatehousePayloadCipher(appKey, secret)) { InnerHandler = new SocketsHttpHandler { UseProxy = false } })
        {
            BaseAddress = new Uri(_address),
            Timeout = TimeSpan.FromSeconds(30),
        };

    [Fact]
    public async Task Post_BodyEncryptedOnTheWire_ResponseDecrypted()
    {
        using var client = Client();

        using var response = await client.PostAsync("/orders/%7E1?b=2&a=1", new StringContent("{\"item\":42}", Encoding.UTF8, "application/json"));

        Assert.Equal("POST /orders/~1?a=1&b=2 got application/json; charset=utf-8|{\"item\":42}", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task GetWithoutBody_ResponseBoundToStatusAndEmptyNonce()
    {
        using var client = Client();

        using var response = await client.GetAsync("/created");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("GET /created? got (none)", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TamperedResponse_ThrowsPayloadException()
    {
        using var client = Client();

        var error = await Assert.ThrowsAsync<GatehousePayloadException>(() => client.PostAsync("/tampered", new StringContent("x")));

        Assert.Equal(OpenResult.TagMismatch, error.Result);
    }

    [Fact]
    public async Task WrongSecret_ServerRefuses_ProblemPassesThroughUnchanged()
    {
        using var client = Client(secret: "not-the-secret-0123456789");

        using var response = await client.PostAsync("/orders", new StringContent("x"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("TagMismatch", await response.Content.ReadAsStringAsync());
    }
}
