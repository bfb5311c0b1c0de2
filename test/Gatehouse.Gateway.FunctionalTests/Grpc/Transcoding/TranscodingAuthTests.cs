using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Gateway.FunctionalTests.Grpc.Transcoding;

/// <summary>JWT auth on a transcoded API: refused without a token, and the forwarded claim reaches the gRPC node as metadata.</summary>
public sealed class TranscodingAuthTests : IAsyncLifetime
{
    private const string Issuer = "https://id.test";
    private readonly RSA _rsa = RSA.Create(2048);
    private TestBackend? _issuer;
    private TestBackend? _node;
    private GatewayTestHost? _gateway;

    public async Task InitializeAsync()
    {
        var p = _rsa.ExportParameters(false);
        var jwks = JsonSerializer.Serialize(new { keys = new[] { new { kty = "RSA", kid = "k1", use = "sig", alg = "RS256",
            n = Base64UrlEncoder.Encode(p.Modulus), e = Base64UrlEncoder.Encode(p.Exponent) } } });
        _issuer = await TestBackend.StartAsync(context =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync(jwks);
        });
        _node = await TestBackend.StartWithPipelineAsync(app => app.MapGrpcService<LibraryService>(), HttpProtocols.Http2,
            services => services.AddGrpc());
        _gateway = await GatewayTestHost.StartAsync($$"""
            originMappings: [ { pathPrefix: /v1, service: library } ]
            services:
              - name: library
                nodes: [ { id: n1, address: "{{_node.BaseAddress}}", protocol: http2 } ]
                apis:
                  - id: library
                    path: /v1/**
                    protocol: grpcTranscoding
                    grpcTranscoding: { descriptorSet: "{{TranscodingFixture.DescriptorSetPath}}" }
                    policy:
                      auth:
                        jwt: { issuer: "{{Issuer}}", jwksUri: "{{_issuer.BaseAddress}}/jwks", forwardClaims: { sub: X-Theme } }
            """);
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        foreach (var backend in new[] { _node, _issuer })
        {
            if (backend is not null)
            {
                await backend.DisposeAsync();
            }
        }

        _rsa.Dispose();
    }

    [Fact]
    public async Task Jwt_RefusesWithoutToken_ForwardsTheClaimAsMetadata()
    {
        using var anonymous = await _gateway!.Client.GetAsync("/v1/shelves/s1");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("\"code\":\"unauthorized\"", await anonymous.Content.ReadAsStringAsync());

        var now = DateTime.UtcNow;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            IssuedAt = now.AddMinutes(-1),
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddMinutes(5),
            Subject = new ClaimsIdentity([new Claim("sub", "alice")]),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(_rsa) { KeyId = "k1" }, SecurityAlgorithms.RsaSha256),
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/shelves/s1");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        request.Headers.Add("X-Theme", "spoofed");
        using var response = await _gateway.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal("""{"name":"shelves/s1","theme":"alice"}""", body);
    }
}
