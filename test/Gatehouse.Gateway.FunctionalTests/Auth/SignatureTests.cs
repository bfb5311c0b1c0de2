using System.Net;
using System.Text;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Sdk.Signing;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.FunctionalTests.Auth;

/// <summary>appKey/appSecret signatures through a real gateway and backend, signed by the SDK's signer.</summary>
public class SignatureTests : IAsyncLifetime
{
    private const string SecretA = "secret-of-app-a-0123456789";
    private const string SecretB = "secret-of-app-b-0123456789";
    private EchoBackend _backend = null!;
    private GatewayTestHost _gateway = null!;

    public async Task InitializeAsync()
    {
        // The backend echoes method, target, the body it received and its signed header, so a test can see what arrived.
        _backend = await EchoBackend.StartAsync("b", async context =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            await context.Response.WriteAsync($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString} [{body}]");
        });
        _gateway = await GatewayTestHost.StartAsync($$"""
            apps:
              - { appKey: app-a, secret: "{{SecretA}}", permissions: [svc] }
              - { appKey: app-b, secret: "{{SecretB}}", permissions: ["other:x"] }
            services:
              - name: svc
                policy:
                  auth: { sign: { headers: [content-type, X-Tenant], timestampWindowMs: 60000, maxSignedBodyBytes: 1024 } }
                nodes: [ { id: n1, address: "{{_backend.Address}}" } ]
                apis:
                  - { id: api, path: "/api/**" }
                  - { id: open, path: "/open", policy: { auth: { sign: { required: false } } } }
              - name: other
                nodes: [ { id: n1, address: "{{_backend.Address}}" } ]
                apis: [ { id: x, path: "/x" } ]
            """);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private HttpClient SigningClient(GatehouseSigner signer) =>
        new(new GatehouseSigningHandler(signer) { InnerHandler = new SocketsHttpHandler { UseProxy = false } })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{_gateway.Port}"),
            Timeout = TimeSpan.FromSeconds(30),
        };

    private static GatehouseSigner SignerA() => new("app-a", SecretA, ["content-type", "X-Tenant"]);

    private HttpRequestMessage Post(string path, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"http://127.0.0.1:{_gateway.Port}{path}"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("serviceName", "svc");
        request.Headers.Add("X-Tenant", "t1");
        return request;
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code, string? detail = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal(code, json.GetProperty("code").GetString());
        if (detail is not null)
        {
            Assert.Contains(detail, json.GetProperty("detail").GetString());
        }

        return json;
    }

    [Fact]
    public async Task SignedBySdkHandler_Accepted_BodyReachesBackendIntact()
    {
        using var client = SigningClient(SignerA());
        var body = "{\"order\":\"" + new string('x', 900) + "\"}";
        using var request = Post("/api/orders/%7E1?b=2&a=hello%20world&a=0", body);
        request.RequestUri = new Uri("/api/orders/%7E1?b=2&a=hello%20world&a=0", UriKind.Relative);

        using var response = await client.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal($"POST /api/orders/~1?b=2&a=hello%20world&a=0 [{body}]", text);
        Assert.Equal(1, _backend.RequestCount);
    }

    [Fact]
    public async Task SignedGetWithoutBody_Accepted()
    {
        using var client = SigningClient(SignerA());
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/list");
        request.Headers.Add("serviceName", "svc");

        using var response = await client.SendAsync(request);

        Assert.Equal("GET /api/list []", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ExpiredTimestamp_BadSignature()
    {
        using var request = Post("/api/o", "{}");
        SignerA().Sign(request, Encoding.UTF8.GetBytes("{}"), Now() - 120_000, "n-expired");

        using var response = await _gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "bad_signature", "expired");
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task FutureTimestamp_BadSignature()
    {
        using var request = Post("/api/o", "{}");
        SignerA().Sign(request, Encoding.UTF8.GetBytes("{}"), Now() + 120_000, "n-future");

        using var response = await _gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "bad_signature", "in the future");
    }

    [Fact]
    public async Task ReplayedNonce_SecondRequestRefused()
    {
        var timestamp = Now();
        using var first = Post("/api/o", "{}");
        SignerA().Sign(first, Encoding.UTF8.GetBytes("{}"), timestamp, "n-replay");
        using var second = Post("/api/o", "{}");
        SignerA().Sign(second, Encoding.UTF8.GetBytes("{}"), timestamp, "n-replay");

        using var accepted = await _gateway.Client.SendAsync(first);
        using var replayed = await _gateway.Client.SendAsync(second);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        await AssertProblemAsync(replayed, HttpStatusCode.Unauthorized, "bad_signature", "nonce was already used");
        Assert.Equal(1, _backend.RequestCount);
    }

    [Fact]
    public async Task WrongSecret_BadSignature()
    {
        using var request = Post("/api/o", "{}");
        new GatehouseSigner("app-a", "not-the-secret-of-app-a", ["content-type", "X-Tenant"]).Sign(request, Encoding.UTF8.GetBytes("{}"), Now(), "n-wrong");

        using var response = await _gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "bad_signature", "does not match");
    }

    [Fact]
    public async Task BodyTampered_BadSignature()
    {
        using var request = Post("/api/o", "{\"amount\":1000}");
        SignerA().Sign(request, Encoding.UTF8.GetBytes("{\"amount\":1}"), Now(), "n-tampered");

        using var response = await _gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "bad_signature", "does not match");
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task SignedHeaderChanged_BadSignature()
    {
        using var request = Post("/api/o", "{}");
        SignerA().Sign(request, Encoding.UTF8.GetBytes("{}"), Now(), "n-header");
        request.Headers.Remove("X-Tenant");
        request.Headers.Add("X-Tenant", "t2");

        using var response = await _gateway.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "bad_signature");
    }

    [Fact]
    public async Task AppWithoutPermission_Forbidden()
    {
        using var client = SigningClient(new GatehouseSigner("app-b", SecretB, ["content-type", "X-Tenant"]));
        using var request = Post("/api/o", "{}");
        request.RequestUri = new Uri("/api/o", UriKind.Relative);

        using var response = await client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden", "app-b");
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task UnknownAppKey_Unauthorized()
    {
        using var client = SigningClient(new GatehouseSigner("app-z", SecretA, ["content-type", "X-Tenant"]));
        using var request = Post("/api/o", "{}");
        request.RequestUri = new Uri("/api/o", UriKind.Relative);

        using var response = await client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized", "Unknown appKey");
    }

    [Fact]
    public async Task Unsigned_Unauthorized_ButOpenApiPasses()
    {
        using var unsigned = Post("/api/o", "{}");
        using var open = new HttpRequestMessage(HttpMethod.Get, "/open");
        open.Headers.Add("serviceName", "svc");

        using var refused = await _gateway.Client.SendAsync(unsigned);
        using var passed = await _gateway.Client.SendAsync(open);

        await AssertProblemAsync(refused, HttpStatusCode.Unauthorized, "unauthorized", "X-Gatehouse-Signature");
        Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
    }

    [Fact]
    public async Task BodyOverSignedLimit_PayloadTooLarge()
    {
        using var client = SigningClient(SignerA());
        using var request = Post("/api/o", new string('x', 2000));
        request.RequestUri = new Uri("/api/o", UriKind.Relative);

        using var response = await client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large", "1024");
    }
}

/// <summary>Signatures across config reloads and with secrets from the environment.</summary>
public class SignatureReloadTests
{
    private static string Config(string backend, string app) => $$"""
        apps:
          - {{app}}
        services:
          - name: svc
            policy: { auth: { sign: {} } }
            nodes: [ { id: n1, address: "{{backend}}" } ]
            apis: [ { id: api, path: "/api/**" } ]
        originMappings:
          - { pathPrefix: /svc, service: svc, stripPrefix: true }
        """;

    private static HttpRequestMessage Signed(GatewayTestHost gateway, GatehouseSigner signer, string path, long timestamp, string nonce)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{gateway.Port}{path}"));
        signer.Sign(request, [], timestamp, nonce);
        return request;
    }

    [Fact]
    public async Task NonceRemembered_AcrossReload_AndSignatureCoversTheTargetBeforePrefixStrip()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gateway = await GatewayTestHost.StartAsync(Config(backend.Address, "{ appKey: a, secret: '0123456789abcdef', permissions: [svc] }"));
        var signer = new GatehouseSigner("a", "0123456789abcdef");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        using (var first = await gateway.Client.SendAsync(Signed(gateway, signer, "/svc/api/x?q=1", now, "reload-nonce")))
        {
            Assert.Equal("b|GET|/api/x?q=1", await first.Content.ReadAsStringAsync());
        }

        await gateway.ReloadAsync(Config(backend.Address, "{ appKey: a, secret: '0123456789abcdef', permissions: [svc], description: changed }"));

        using var replay = await gateway.Client.SendAsync(Signed(gateway, signer, "/svc/api/x?q=1", now, "reload-nonce"));
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Contains("nonce", await replay.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SecretRef_ReadFromEnvironment_MissingVariableRejectsConfig()
    {
        var variable = "GATEHOUSE_TEST_SECRET_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "from-the-environment-0123");
        try
        {
            await using var backend = await EchoBackend.StartAsync("b");
            await using var gateway = await GatewayTestHost.StartAsync(Config(backend.Address, $"{{ appKey: a, secretRef: {variable}, permissions: [svc] }}"));
            var signer = new GatehouseSigner("a", "from-the-environment-0123");

            using (var response = await gateway.Client.SendAsync(Signed(gateway, signer, "/svc/api/x", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "env-1")))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            var (before, _) = await gateway.GetVersionAsync();
            await gateway.WriteConfigAsync(Config(backend.Address, "{ appKey: a, secretRef: GATEHOUSE_TEST_UNSET_VARIABLE, permissions: [svc] }"));
            await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(gateway.Logs.Entries.Any(e => e.Message.Contains("GATEHOUSE_TEST_UNSET_VARIABLE"))),
                TimeSpan.FromSeconds(10), "the gateway logged the rejected config");
            Assert.Equal(before, (await gateway.GetVersionAsync()).Version);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }
}
