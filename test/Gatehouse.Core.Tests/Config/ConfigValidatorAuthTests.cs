using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class ConfigValidatorAuthTests
{
    private static string Yaml(string globalPolicy, string apps = "[]") => $$"""
        global: {{globalPolicy}}
        apps: {{apps}}
        services:
          - name: orders
            nodes: [ { id: n1, address: "http://127.0.0.1:8080" } ]
            apis: [ { id: get, path: /x } ]
        """;

    [Fact]
    public void Validate_FullAuthConfig_Accepted()
    {
        var config = ConfigLoader.Parse(Yaml(
            """
            { auth: { sign: { required: true, headers: [content-type, X-Tenant], timestampWindowMs: 60000, nonceTtlMs: 120000, maxSignedBodyBytes: 4096 },
                      jwt: { issuer: "https://id.example", audiences: [orders], jwksUri: "https://id.example/jwks", algorithms: [RS256, ES256],
                             clockSkewMs: 0, jwksRefreshMs: 60000, forwardClaims: { sub: X-User-Id, scope: X-Scope } } } }
            """,
            """[ { appKey: app-1, secret: "0123456789abcdef", permissions: [orders, "orders:get", "*"] }, { appKey: app-2, secretRef: APP_2_SECRET } ]"""),
            "test.yaml", ConfigFormat.Yaml);

        Assert.Equal(["content-type", "X-Tenant"], config.Global!.Auth!.Sign!.Headers);
        Assert.Equal("X-User-Id", config.Global.Auth.Jwt!.ForwardClaims!["sub"]);
        Assert.Equal("APP_2_SECRET", config.Apps![1].SecretRef);
    }

    [Theory]
    [InlineData("{ auth: { jwt: { jwksUri: 'https://i/jwks' } } }", "global.auth.jwt.issuer", "issuer is required")]
    [InlineData("{ auth: { jwt: { issuer: i } } }", "global.auth.jwt.jwksUri", "jwksUri is required")]
    [InlineData("{ auth: { jwt: { issuer: i, jwksUri: 'ftp://i/jwks' } } }", "global.auth.jwt.jwksUri", "'ftp://i/jwks' is not an absolute http or https URI")]
    [InlineData("{ auth: { jwt: { issuer: i, jwksUri: 'https://i/j', algorithms: [RS256, XX1] } } }", "global.auth.jwt.algorithms[1]", "'XX1' is not allowed: use one of")]
    [InlineData("{ auth: { jwt: { issuer: i, jwksUri: 'https://i/j', algorithms: [none] } } }", "global.auth.jwt.algorithms[0]", "'none' is not allowed: unsigned tokens")]
    [InlineData("{ auth: { jwt: { issuer: i, jwksUri: 'https://i/j', algorithms: [HS256] } } }", "global.auth.jwt.algorithms[0]", "'HS256' is not allowed: symmetric")]
    [InlineData("{ auth: { jwt: { issuer: i, jwksUri: 'https://i/j', algorithms: [] } } }", "global.auth.jwt.algorithms", "list at least one algorithm")]
    [InlineData("{ auth: { jwt: { issuer: i, jwksUri: 'https://i/j', clockSkewMs: -1 } } }", "global.auth.jwt.clockSkewMs", "must be between 0 and")]
    [InlineData("{ auth: { jwt: { issuer: i, jwksUri: 'https://i/j', jwksRefreshMs: 10 } } }", "global.auth.jwt.jwksRefreshMs", "must be between 1000 and")]
    [InlineData("{ auth: { jwt: { issuer: i, jwksUri: 'https://i/j', forwardClaims: { sub: 'X Bad' } } } }", "global.auth.jwt.forwardClaims.sub", "'X Bad' is not a valid header name")]
    [InlineData("{ auth: { jwt: { issuer: i, jwksUri: 'https://i/j', forwardClaims: { sub: X-A, oid: x-a } } } }", "global.auth.jwt.forwardClaims.oid", "header 'x-a' receives more than one claim")]
    [InlineData("{ auth: { sign: { timestampWindowMs: 0 } } }", "global.auth.sign.timestampWindowMs", "must be between 1 and")]
    [InlineData("{ auth: { sign: { nonceTtlMs: -5 } } }", "global.auth.sign.nonceTtlMs", "must be between 1 and")]
    [InlineData("{ auth: { sign: { maxSignedBodyBytes: -1 } } }", "global.auth.sign.maxSignedBodyBytes", "must be between 0 and")]
    [InlineData("{ auth: { sign: { headers: [a, A] } } }", "global.auth.sign.headers[1]", "header 'A' is listed more than once")]
    [InlineData("{ auth: { sign: { headers: ['bad header'] } } }", "global.auth.sign.headers[0]", "'bad header' is not a valid header name")]
    [InlineData("{ auth: { sign: { headers: [X-Gatehouse-Nonce] } } }", "global.auth.sign.headers[0]", "'X-Gatehouse-Nonce' is part of the signature")]
    public void Validate_BadAuthPolicy_ErrorNamesField(string policy, string entry, string message)
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml(policy)));

        Assert.Equal(entry, error.Entry);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void Validate_JwtTurnedOff_NeedsNoIssuer()
    {
        var config = ConfigLoader.Parse(Yaml("{ auth: { jwt: { required: false } } }"), "test.yaml", ConfigFormat.Yaml);

        Assert.False(config.Global!.Auth!.Jwt!.Required);
    }

    [Theory]
    [InlineData("[ { appKey: a, secret: '0123456789abcdef' }, { appKey: A, secret: '0123456789abcdef' } ]", "apps[A].appKey", "appKey 'A' is used more than once")]
    [InlineData("[ { appKey: a } ]", "apps[a].secret", "give exactly one of secret and secretRef")]
    [InlineData("[ { appKey: a, secret: '0123456789abcdef', secretRef: X } ]", "apps[a].secret", "give exactly one of secret and secretRef")]
    [InlineData("[ { appKey: a, secret: short } ]", "apps[a].secret", "secret is 5 characters long; at least 16")]
    [InlineData("[ { appKey: a, secretRef: '1BAD' } ]", "apps[a].secretRef", "'1BAD' is not an environment variable name")]
    [InlineData("[ { appKey: '', secret: '0123456789abcdef' } ]", "apps[0].appKey", "appKey is required")]
    [InlineData("[ { appKey: a, secret: '0123456789abcdef', permissions: ['orders:'] } ]", "apps[a].permissions[0]", "'orders:' is not a permission")]
    [InlineData("[ { appKey: a, secret: '0123456789abcdef', permissions: ['a:b:c'] } ]", "apps[a].permissions[0]", "'a:b:c' is not a permission")]
    [InlineData("[ { appKey: a, secret: '0123456789abcdef', permissions: [':get'] } ]", "apps[a].permissions[0]", "':get' is not a permission")]
    [InlineData("[ { appKey: a, secret: '0123456789abcdef', permissions: [''] } ]", "apps[a].permissions[0]", "permission is empty")]
    [InlineData("[ { appKey: a, secret: '0123456789abcdef', permissions: [orders, orders] } ]", "apps[a].permissions[1]", "permission 'orders' is listed more than once")]
    [InlineData("[ { appKey: a, secret: '0123456789abcdef', permissions: ['Orders:get'] } ]", "apps[a].permissions[0]", "service 'Orders' is not defined in services; did you mean 'orders'?")]
    public void Validate_BadApp_ErrorNamesField(string apps, string entry, string message)
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml("{}", apps)));

        Assert.Equal(entry, error.Entry);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void EffectivePolicyView_SignAndJwt_MergeAsWholes()
    {
        var global = new PolicyConfig { Auth = new AuthConfig { Sign = new SignConfig { Headers = ["a"] } } };
        var api = new PolicyConfig { Auth = new AuthConfig { Sign = new SignConfig { Required = false } } };

        var members = EffectivePolicyView.Build(global, null, api);

        var sign = Assert.Single(members, m => m.Member == "auth.sign");
        Assert.Equal("override", sign.Merge);
        Assert.Equal("api", sign.Source);
        Assert.Single(members, m => m.Member == "auth.jwt");
    }
}
