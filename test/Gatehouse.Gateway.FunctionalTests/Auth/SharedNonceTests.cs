using System.Net;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Redis.Tests.Infrastructure;
using Gatehouse.Sdk.Signing;

namespace Gatehouse.Gateway.FunctionalTests.Auth;

/// <summary>Signature nonces shared by gateways on real Kestrel through a real redis-server.</summary>
[Collection(RedisCollection.Name)]
public sealed class SharedNonceTests(RedisServer redis)
{
    private const int NonceStoreAvailable = 3552;
    private const string Secret = "0123456789abcdef-shared-nonce";

    private static string Config(string backend) => $$"""
        apps:
          - { appKey: app-a, secret: "{{Secret}}", permissions: [svc] }
        services:
          - name: svc
            policy: { auth: { sign: {} } }
            nodes: [ { id: n1, address: "{{backend}}" } ]
            apis: [ { id: api, path: "/api/**" } ]
        """;

    /// <summary>The same signed request (same timestamp and nonce) aimed at <paramref name="gateway"/>.</summary>
    private static HttpRequestMessage Signed(GatewayTestHost gateway, long timestamp, string nonce)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{gateway.Port}/api/orders"));
        request.Headers.Add("serviceName", "svc");
        new GatehouseSigner("app-a", Secret).Sign(request, [], timestamp, nonce);
        return request;
    }

    private static async Task<HttpResponseMessage> SendAsync(GatewayTestHost gateway, long timestamp, string nonce)
    {
        using var request = Signed(gateway, timestamp, nonce);
        return await gateway.Client.SendAsync(request);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code, string detail)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal(code, json.GetProperty("code").GetString());
        Assert.Contains(detail, json.GetProperty("detail").GetString());
    }

    private static Task WaitSharedAsync(GatewayTestHost gateway) =>
        GatewayTestHost.WaitUntilAsync(() => Task.FromResult(gateway.Logs.Has(NonceStoreAvailable)), TimeSpan.FromSeconds(20),
            "shared nonce store active");

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [Fact]
    public async Task TwoGateways_OneRedis_RequestAcceptedByOneIsRefusedAsReplayByTheOther()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var a = await GatewayTestHost.StartAsync(Config(backend.Address), null, "--redis", redis.Address);
        await using var b = await GatewayTestHost.StartAsync(Config(backend.Address), null, "--redis", redis.Address);
        await WaitSharedAsync(a);
        await WaitSharedAsync(b);
        var timestamp = Now();
        var nonce = "n-" + Guid.NewGuid().ToString("N");

        using var accepted = await SendAsync(a, timestamp, nonce);
        using var replayed = await SendAsync(b, timestamp, nonce);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        await AssertProblemAsync(replayed, HttpStatusCode.Unauthorized, "bad_signature", "nonce was already used");
        Assert.Equal(1, backend.RequestCount);
    }

    [Fact]
    public async Task NonceStoreLocal_RedisConfigured_EachGatewayRemembersOnlyItsOwn()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        string[] args = ["--redis", redis.Address, "--Gatehouse:Gateway:Nonces:Store", "local"];
        await using var a = await GatewayTestHost.StartAsync(Config(backend.Address), null, args);
        await using var b = await GatewayTestHost.StartAsync(Config(backend.Address), null, args);
        var timestamp = Now();
        var nonce = "n-" + Guid.NewGuid().ToString("N");

        using var onA = await SendAsync(a, timestamp, nonce);
        using var onB = await SendAsync(b, timestamp, nonce);
        using var againOnA = await SendAsync(a, timestamp, nonce);

        Assert.Equal(HttpStatusCode.OK, onA.StatusCode);
        Assert.Equal(HttpStatusCode.OK, onB.StatusCode); // the per-node store cannot know what the other saw
        await AssertProblemAsync(againOnA, HttpStatusCode.Unauthorized, "bad_signature", "nonce was already used");
        Assert.False(a.Logs.Has(NonceStoreAvailable));
    }

    [Fact]
    public async Task RedisUnreachable_DefaultLocalFallback_ReplayToSameGatewayRefused()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address), null,
            "--redis", $"127.0.0.1:{RedisServer.FreePort()}");
        var timestamp = Now();

        using var accepted = await SendAsync(gw, timestamp, "n-1");
        using var replayed = await SendAsync(gw, timestamp, "n-1");

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        await AssertProblemAsync(replayed, HttpStatusCode.Unauthorized, "bad_signature", "nonce was already used");
    }

    [Fact]
    public async Task RedisUnreachable_FailClosed_Answers503NonceStoreUnavailable()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address), null,
            "--redis", $"127.0.0.1:{RedisServer.FreePort()}", "--Gatehouse:Gateway:Nonces:Fallback", "failClosed");

        using var response = await SendAsync(gw, Now(), "n-1");

        await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "nonce_store_unavailable", "replay");
        Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
        Assert.Equal(0, backend.RequestCount);
    }

    [Fact]
    public async Task NonceStoreRedis_NoRedisAddress_NodeRefusesToStart()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            GatewayTestHost.StartAsync(Config("127.0.0.1:1"), null, "--Gatehouse:Gateway:Nonces:Store", "redis"));

        Assert.Contains("Nonces:Store is redis but Gatehouse:Gateway:Redis:Address is not set", error.Message);
    }
}
