using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Gateway.FunctionalTests.Auth;

/// <summary>
/// Bearer tokens through a real gateway, with the issuer's JWKS served by a Kestrel server on loopback and keys
/// generated per test class.
/// </summary>
public class JwtTests : IAsyncLifetime
{
    private const string Issuer = "https://id.test";
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly RSA _rotated = RSA.Create(2048);
    private readonly ECDsa _ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private volatile string _jwks = "";
    private int _jwksHits;
    private TestBackend _issuer = null!;
    private EchoBackend _backend = null!;
    private GatewayTestHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _jwks = Jwks(("rsa-1", _rsa), ("ec-1", _ec));
        _issuer = await TestBackend.StartAsync(async context =>
        {
            Interlocked.Increment(ref _jwksHits);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(_jwks);
        });
        _backend = await EchoBackend.StartAsync("b");
        _gateway = await GatewayTestHost.StartAsync($$"""
            services:
              - name: svc
                policy:
                  auth:
                    jwt:
                      issuer: "{{Issuer}}"
                      audiences: [orders]
                      jwksUri: "{{_issuer.BaseAddress}}/jwks"
                      algorithms: [RS256, ES256]
                      clockSkewMs: 1000
                      forwardClaims: { sub: X-User-Id, scope: X-Scope }
                nodes: [ { id: n1, address: "{{_backend.Address}}" } ]
                apis: [ { id: api, path: "/api/**" } ]
            """);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
        await _issuer.DisposeAsync();
        _rsa.Dispose();
        _rotated.Dispose();
        _ec.Dispose();
    }

    private static string Jwks(params (string Kid, AsymmetricAlgorithm Key)[] keys)
    {
        var list = new List<object>();
        foreach (var (kid, key) in keys)
        {
            if (key is RSA rsa)
            {
                var p = rsa.ExportParameters(false);
                list.Add(new { kty = "RSA", kid, use = "sig", alg = "RS256", n = Base64UrlEncoder.Encode(p.Modulus), e = Base64UrlEncoder.Encode(p.Exponent) });
            }
            else
            {
                var p = ((ECDsa)key).ExportParameters(false);
                list.Add(new { kty = "EC", kid, use = "sig", crv = "P-256", x = Base64UrlEncoder.Encode(p.Q.X), y = Base64UrlEncoder.Encode(p.Q.Y) });
            }
        }

        // A symmetric key in the set must never be used (HS/RS confusion through the JWKS itself).
        list.Add(new { kty = "oct", kid = "oct-1", k = Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes("published-by-mistake-0123456789abcdef")) });
        return JsonSerializer.Serialize(new { keys = list });
    }

    private static string Token(SecurityKey key, string algorithm, string issuer = Issuer, string audience = "orders",
        DateTime? expires = null, string subject = "alice")
    {
        var now = DateTime.UtcNow;
        var expiry = expires ?? now.AddMinutes(5);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = expiry.AddMinutes(-10),
            NotBefore = expiry.AddMinutes(-10),
            Expires = expiry,
            Subject = new ClaimsIdentity([new Claim("sub", subject), new Claim("scope", "orders.read")]),
            SigningCredentials = new SigningCredentials(key, algorithm),
        });
    }

    private SecurityKey RsaKey(RSA rsa, string kid) => new RsaSecurityKey(rsa) { KeyId = kid };

    private async Task<HttpResponseMessage> SendAsync(string? token, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Add("serviceName", "svc");
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        return await _gateway.Client.SendAsync(request);
    }

    /// <summary>200, or a failure that says why: the gateway's answer and what the JWKS cache logged (fetched or not).</summary>
    private async Task AssertOkAsync(HttpResponseMessage response)
    {
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync();
        var jwksLog = string.Join(" | ", _gateway.Logs.Entries.Where(e => e.EventId.Id is 4101 or 4102).Select(e => e.Message));
        Assert.Fail($"expected 200, got {(int)response.StatusCode}: {body}; JWKS log: {jwksLog}; issuer hits: {Volatile.Read(ref _jwksHits)}");
    }

    private static async Task AssertInvalidTokenAsync(HttpResponseMessage response, string detail)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"expected 401, got {(int)response.StatusCode}: {body}");
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal("unauthorized", json.GetProperty("code").GetString());
        Assert.Contains(detail, json.GetProperty("detail").GetString());
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains("error=\"invalid_token\"", challenge.Parameter);
    }

    [Fact]
    public async Task ValidRsaToken_Accepted_ClaimsForwarded()
    {
        using var response = await SendAsync(Token(RsaKey(_rsa, "rsa-1"), SecurityAlgorithms.RsaSha256));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(_backend.Seen);
        Assert.Equal("alice", seen.Header("X-User-Id"));
        Assert.Equal("orders.read", seen.Header("X-Scope"));
    }

    [Fact]
    public async Task ValidEcToken_Accepted()
    {
        using var response = await SendAsync(Token(new ECDsaSecurityKey(_ec) { KeyId = "ec-1" }, SecurityAlgorithms.EcdsaSha256));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task SpoofedClaimHeader_StrippedAndReplaced()
    {
        using var response = await SendAsync(Token(RsaKey(_rsa, "rsa-1"), SecurityAlgorithms.RsaSha256), ("X-User-Id", "root"), ("X-Scope", "admin"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(_backend.Seen);
        Assert.Equal("alice", seen.Header("X-User-Id"));
        Assert.Equal("orders.read", seen.Header("X-Scope"));
    }

    [Fact]
    public async Task NoToken_Unauthorized_ChallengeWithoutErrorCode()
    {
        using var response = await SendAsync(null, ("X-User-Id", "root"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.DoesNotContain("error=", challenge.Parameter);
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task AlgNone_Rejected()
    {
        var header = Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"rsa-1\"}");
        var exp = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds();
        var payload = Base64UrlEncoder.Encode($"{{\"iss\":\"{Issuer}\",\"aud\":\"orders\",\"sub\":\"alice\",\"exp\":{exp}}}");

        using var response = await SendAsync($"{header}.{payload}.");

        await AssertInvalidTokenAsync(response, "'none' are not accepted");
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task Hs256SignedWithThePublicKey_Rejected()
    {
        // The classic confusion: the attacker signs HS256 with the issuer's public key as the HMAC secret.
        var publicKey = Encoding.UTF8.GetBytes(_rsa.ExportSubjectPublicKeyInfoPem());
        var token = Token(new SymmetricSecurityKey(publicKey) { KeyId = "rsa-1" }, SecurityAlgorithms.HmacSha256);

        using var response = await SendAsync(token);

        await AssertInvalidTokenAsync(response, "'HS256' are not accepted");
    }

    [Fact]
    public async Task Hs256SignedWithAnOctKeyOfTheJwks_Rejected()
    {
        var token = Token(new SymmetricSecurityKey(Encoding.UTF8.GetBytes("published-by-mistake-0123456789abcdef")) { KeyId = "oct-1" },
            SecurityAlgorithms.HmacSha256);

        using var response = await SendAsync(token);

        await AssertInvalidTokenAsync(response, "are not accepted");
    }

    [Fact]
    public async Task WrongIssuer_Rejected()
    {
        using var response = await SendAsync(Token(RsaKey(_rsa, "rsa-1"), SecurityAlgorithms.RsaSha256, issuer: "https://evil.test"));

        await AssertInvalidTokenAsync(response, "issuer");
    }

    [Fact]
    public async Task WrongAudience_Rejected()
    {
        using var response = await SendAsync(Token(RsaKey(_rsa, "rsa-1"), SecurityAlgorithms.RsaSha256, audience: "billing"));

        await AssertInvalidTokenAsync(response, "audience");
    }

    [Fact]
    public async Task ExpiredToken_Rejected()
    {
        using var response = await SendAsync(Token(RsaKey(_rsa, "rsa-1"), SecurityAlgorithms.RsaSha256, expires: DateTime.UtcNow.AddSeconds(-30)));

        await AssertInvalidTokenAsync(response, "expired");
    }

    [Fact]
    public async Task SignedByAnotherKeyWithAKnownKid_Rejected()
    {
        using var response = await SendAsync(Token(RsaKey(_rotated, "rsa-1"), SecurityAlgorithms.RsaSha256));

        await AssertInvalidTokenAsync(response, "signature");
    }

    [Fact]
    public async Task UnknownKid_JwksRefetched_RotatedKeyAccepted_FurtherUnknownKidsNotRefetched()
    {
        using (var first = await SendAsync(Token(RsaKey(_rsa, "rsa-1"), SecurityAlgorithms.RsaSha256)))
        {
            await AssertOkAsync(first);
        }

        var hitsBefore = Volatile.Read(ref _jwksHits);
        _jwks = Jwks(("rsa-1", _rsa), ("rsa-2", _rotated));

        using (var rotated = await SendAsync(Token(RsaKey(_rotated, "rsa-2"), SecurityAlgorithms.RsaSha256)))
        {
            await AssertOkAsync(rotated);
        }

        Assert.Equal(hitsBefore + 1, Volatile.Read(ref _jwksHits));

        // Another unknown kid right after: refused without asking the issuer again (refetch is rate-limited).
        using var bogus = await SendAsync(Token(RsaKey(_rotated, "rsa-3"), SecurityAlgorithms.RsaSha256));
        await AssertInvalidTokenAsync(bogus, "signing key");
        Assert.Equal(hitsBefore + 1, Volatile.Read(ref _jwksHits));
    }

    [Fact]
    public async Task MalformedToken_Rejected()
    {
        using var response = await SendAsync("not-a-jwt");

        await AssertInvalidTokenAsync(response, "not a well-formed JWT");
    }

    public static TheoryData<string> MalformedTokens => new()
    {
        "eyJhbGciOiJSUzI1NiJ9.a.b.c.d",                       // five parts (a JWE) that are not base64url: FormatException
        "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d", // a real JWE header, junk after it
        "eyJhbGciOiJSUzI1NiJ9.a.b.c.d.e",                     // six parts
        "....",
        "eyJhbGciOiJSUzI1NiJ9.a.b",                           // payload not base64url JSON
        Base64UrlEncoder.Encode("{\"alg\":5}") + ".e30.",     // alg not a string
        Base64UrlEncoder.Encode("[]") + ".e30.",               // header not an object
        Base64UrlEncoder.Encode("{\"alg\":\"RS256\"") + ".e30.", // truncated header JSON
    };

    [Theory]
    [MemberData(nameof(MalformedTokens))]
    public async Task MalformedToken_401Unauthorized_NoErrorLogged(string token)
    {
        using var response = await SendAsync(token);

        await AssertInvalidTokenAsync(response, "not a well-formed JWT");
        Assert.Equal(0, _backend.RequestCount);
        Assert.DoesNotContain(_gateway.Logs.Entries, e => e.Exception is not null || e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }
}
