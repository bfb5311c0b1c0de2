using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.FunctionalTests.Pipeline;

/// <summary>One real gateway with every filter that reads client input, for <see cref="ClientInputTests"/>.</summary>
public sealed class ClientInputFixture : IAsyncLifetime
{
    internal EchoBackend Backend { get; private set; } = null!;

    internal GatewayTestHost Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Backend = await EchoBackend.StartAsync("b");
        var jwksPort = Gatehouse.Testing.LoopbackPorts.Next();
        Gateway = await GatewayTestHost.StartAsync($$"""
            apps:
              - { appKey: app-a, secret: "secret-of-app-a-0123456789", permissions: [sign, enc] }
            services:
              - name: sign
                policy: { auth: { sign: { headers: [X-Tenant] } } }
                nodes: [ { address: "{{Backend.Address}}" } ]
                apis: [ { id: api, path: "/**" } ]
              - name: enc
                policy: { encryption: {} }
                nodes: [ { address: "{{Backend.Address}}" } ]
                apis: [ { id: api, path: "/**" } ]
              - name: jwt
                policy: { auth: { jwt: { issuer: "https://id.test", jwksUri: "http://127.0.0.1:{{jwksPort}}/jwks" } } }
                nodes: [ { address: "{{Backend.Address}}" } ]
                apis: [ { id: api, path: "/**" } ]
              - name: keyed
                policy:
                  rateLimit: { limit: 1000, windowMs: 60000, key: { source: header, name: X-User } }
                  loadBalancer: { kind: consistentHash, hashKey: { source: header, name: X-User } }
                  ipAccess: { deny: [ "10.0.0.0/8" ] }
                nodes: [ { address: "{{Backend.Address}}" } ]
                apis: [ { id: api, path: "/**" } ]
            """, null, "--Gatehouse:Gateway:TrustedProxies:0", "127.0.0.1");
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Backend.DisposeAsync();
    }
}

/// <summary>
/// Client mistakes and probes sent as raw bytes to every filter that reads client input (signatures, encrypted bodies,
/// bearer tokens, keys, forwarded addresses): each gets a 4xx answer from the gateway and leaves no error or stack
/// trace in its log.
/// </summary>
public class ClientInputTests(ClientInputFixture fixture) : IClassFixture<ClientInputFixture>
{
    private const string Signed = "X-Gatehouse-AppKey: app-a\r\nX-Gatehouse-Nonce: n-1\r\n";

    public static TheoryData<string, string, int> Requests => new()
    {
        // Signatures.
        { "signature not base64", Get("sign", "/a", Signed + Timestamp() + "X-Gatehouse-Signature: !!!not base64!!!\r\n"), 401 },
        { "signature very long", Get("sign", "/a", Signed + Timestamp() + "X-Gatehouse-Signature: " + new string('A', 4000) + "\r\n"), 401 },
        { "timestamp max long", Get("sign", "/a", Signed + "X-Gatehouse-Timestamp: 9223372036854775807\r\nX-Gatehouse-Signature: AAAA\r\n"), 401 },
        { "timestamp overflow", Get("sign", "/a", Signed + "X-Gatehouse-Timestamp: 99999999999999999999999\r\nX-Gatehouse-Signature: AAAA\r\n"), 401 },
        { "broken escapes in target", Get("sign", "/a%?%&=%f&%zz=%", Signed + Timestamp() + "X-Gatehouse-Signature: AAAA\r\n"), 401 },
        { "signed header repeated", Get("sign", "/a", Signed + Timestamp() + "X-Tenant: a\r\nX-Tenant: b\r\nX-Gatehouse-Signature: AAAA\r\n"), 401 },
        // Encrypted bodies.
        { "envelope junk", Post("enc", "/a", "X-Gatehouse-AppKey: app-a\r\nContent-Type: application/gatehouse-encrypted\r\n", new string('\u0001', 40)), 400 },
        { "envelope empty", Post("enc", "/a", "X-Gatehouse-AppKey: app-a\r\nContent-Type: application/gatehouse-encrypted\r\n", ""), 0 }, // no body: passes
        { "envelope content type odd", Post("enc", "/a%zz?%", "X-Gatehouse-AppKey: app-a\r\nContent-Type: application/gatehouse-encrypted; charset=\"\r\n", "\u0001abc"), 400 },
        { "envelope chunked junk", "POST /a HTTP/1.1\r\nHost: gw\r\nserviceName: enc\r\nConnection: close\r\nX-Gatehouse-AppKey: app-a\r\nContent-Type: application/gatehouse-encrypted\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400 },
        // Bearer tokens.
        { "jwt five parts", Get("jwt", "/a", "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.a.b.c.d\r\n"), 401 },
        { "jwt only dots", Get("jwt", "/a", "Authorization: Bearer ....\r\n"), 401 },
        { "jwt twice", Get("jwt", "/a", "Authorization: Bearer a.b.c\r\nAuthorization: Bearer a.b.c\r\n"), 401 },
        { "jwt scheme only", Get("jwt", "/a", "Authorization: Bearer    \r\n"), 401 },
        // Keys and addresses.
        { "forwarded-for junk", Get("keyed", "/a", "X-Forwarded-For: ::::, 999.1.1.1, [zz], 10.1.1.1:99999\r\n"), 0 },
        { "forwarded-for denied", Get("keyed", "/a", "X-Forwarded-For: 10.1.2.3\r\n"), 403 },
        { "forwarded-for empty", Get("keyed", "/a", "X-Forwarded-For: ,,,\r\n"), 0 },
        { "hash key repeated", Get("keyed", "/a", "X-User: a\r\nX-User: b\r\nX-User: \r\n"), 0 },
        { "service name odd", Get("%zz\u007f", "/a", ""), 404 },
        { "gray header repeated", Get("keyed", "/a", "gray: a\r\ngray: b\r\n"), 0 },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task ClientMistake_AnsweredWithout500_NothingLoggedAsError(string name, string request, int status)
    {
        var logged = fixture.Gateway.Logs.Entries.Count;
        var response = await RawHttp.SendAsync(fixture.Gateway.Port, request);

        Assert.True(response.Status is > 0 and < 500, $"{name}: {response.Text}");
        if (status != 0)
        {
            Assert.True(status == response.Status, $"{name}: expected {status}, got {response.Text}");
        }

        var errors = fixture.Gateway.Logs.Entries.Skip(logged).Where(e => e.Level >= LogLevel.Error || e.Exception is not null).ToList();
        Assert.True(errors.Count == 0, $"{name}: {string.Join(" | ", errors.Select(e => $"{e.Level} {e.Message} {e.Exception}"))}");
    }

    private static string Timestamp() => $"X-Gatehouse-Timestamp: {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}\r\n";

    private static string Get(string service, string target, string headers) =>
        $"GET {target} HTTP/1.1\r\nHost: gw\r\nserviceName: {service}\r\nConnection: close\r\n{headers}\r\n";

    private static string Post(string service, string target, string headers, string body) =>
        $"POST {target} HTTP/1.1\r\nHost: gw\r\nserviceName: {service}\r\nConnection: close\r\n{headers}"
        + (headers.Contains("Content-Length", StringComparison.Ordinal) ? "" : $"Content-Length: {body.Length}\r\n") + "\r\n" + body;
}
