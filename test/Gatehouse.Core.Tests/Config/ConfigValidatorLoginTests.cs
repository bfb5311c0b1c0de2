using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class ConfigValidatorLoginTests
{
    private static string Yaml(string globalPolicy) => $$"""
        global: {{globalPolicy}}
        services:
          - name: orders
            nodes: [ { id: n1, address: "http://127.0.0.1:8080" } ]
            apis: [ { id: get, path: /x } ]
        """;

    [Fact]
    public void Validate_FullLoginConfig_Accepted()
    {
        var config = ConfigLoader.Parse(Yaml(
            """
            { auth: { login: { required: true, checkUri: "https://sessions.internal/check", tokenCookie: SESSION, tokenHeader: X-Session-Token,
                               cacheMs: 0, negativeCacheMs: 0, timeoutMs: 60000, userIdHeader: X-User-Id } } }
            """), "test.yaml", ConfigFormat.Yaml);

        var login = config.Global!.Auth!.Login!;
        Assert.Equal("https://sessions.internal/check", login.CheckUri);
        Assert.Equal("SESSION", login.TokenCookie);
        Assert.Equal("X-Session-Token", login.TokenHeader);
        Assert.Equal(0, login.CacheMs);
        Assert.Equal("X-User-Id", login.UserIdHeader);
    }

    [Theory]
    [InlineData("{ auth: { login: { tokenCookie: S } } }", "global.auth.login.checkUri", "checkUri is required")]
    [InlineData("{ auth: { login: { checkUri: 'ftp://s/check', tokenCookie: S } } }", "global.auth.login.checkUri", "'ftp://s/check' is not an absolute http or https URI")]
    [InlineData("{ auth: { login: { checkUri: '/check', tokenCookie: S } } }", "global.auth.login.checkUri", "'/check' is not an absolute http or https URI")]
    [InlineData("{ auth: { login: { checkUri: 'http://s/check' } } }", "global.auth.login", "no token source: give tokenCookie and/or tokenHeader")]
    [InlineData("{ auth: { login: { checkUri: 'http://s/check', tokenCookie: 'a;b' } } }", "global.auth.login.tokenCookie", "'a;b' is not a valid cookie name")]
    [InlineData("{ auth: { login: { checkUri: 'http://s/check', tokenHeader: 'X Token' } } }", "global.auth.login.tokenHeader", "'X Token' is not a valid header name")]
    [InlineData("{ auth: { login: { checkUri: 'http://s/check', tokenCookie: S, userIdHeader: 'X:User' } } }", "global.auth.login.userIdHeader", "'X:User' is not a valid header name")]
    [InlineData("{ auth: { login: { checkUri: 'http://s/check', tokenHeader: x-gatehouse-user-id } } }", "global.auth.login.userIdHeader", "'x-gatehouse-user-id' is also the tokenHeader")]
    [InlineData("{ auth: { login: { checkUri: 'http://s/check', tokenCookie: S, cacheMs: -1 } } }", "global.auth.login.cacheMs", "must be between 0 and")]
    [InlineData("{ auth: { login: { checkUri: 'http://s/check', tokenCookie: S, negativeCacheMs: -5 } } }", "global.auth.login.negativeCacheMs", "must be between 0 and")]
    [InlineData("{ auth: { login: { checkUri: 'http://s/check', tokenCookie: S, timeoutMs: 0 } } }", "global.auth.login.timeoutMs", "must be between 1 and 60000 ms")]
    [InlineData("{ auth: { login: { checkUri: 'http://s/check', tokenCookie: S, timeoutMs: 60001 } } }", "global.auth.login.timeoutMs", "must be between 1 and 60000 ms")]
    public void Validate_BadLoginPolicy_ErrorNamesField(string policy, string entry, string message)
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml(policy)));

        Assert.Equal(entry, error.Entry);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void Validate_LoginPolicyOnAnApi_ErrorNamesTheApi()
    {
        var yaml = """
            services:
              - name: orders
                nodes: [ { id: n1, address: "http://127.0.0.1:8080" } ]
                apis: [ { id: get, path: /x, policy: { auth: { login: { checkUri: 'http://s/check', tokenCookie: S, cacheMs: -1 } } } } ]
            """;

        var error = Assert.Single(ConfigFixtures.YamlErrors(yaml));

        Assert.EndsWith(".policy.auth.login.cacheMs", error.Entry);
        Assert.Contains("apis", error.Entry);
    }

    [Fact]
    public void Parse_UnknownLoginField_Rejected()
    {
        var errors = ConfigFixtures.YamlErrors(Yaml("{ auth: { login: { checkUri: 'http://s/check', tokenCookie: S, cookie: S } } }"));

        Assert.Contains(errors, e => e.Entry.Contains("login", StringComparison.Ordinal) && e.Message.Contains("cookie", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_LoginTurnedOff_NeedsNothingElse()
    {
        var config = ConfigLoader.Parse(Yaml("{ auth: { login: { required: false } } }"), "test.yaml", ConfigFormat.Yaml);

        Assert.False(config.Global!.Auth!.Login!.Required);
    }

    [Fact]
    public void Docs_LoginExample_IsValid()
    {
        // docs/configuration.md shows one example under "Auth: login state"; it must load as shown.
        var doc = File.ReadAllText(Path.Combine(ConfigFixtures.RepositoryRoot(), "docs", "configuration.md"));
        var section = doc[doc.IndexOf("### Auth: login state", StringComparison.Ordinal)..];
        var start = section.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
        var yaml = section[start..section.IndexOf("```", start, StringComparison.Ordinal)];

        var config = ConfigLoader.Parse(yaml, "docs.yaml", ConfigFormat.Yaml);

        var service = Assert.Single(config.Services);
        Assert.Equal("SESSION", service.Policy!.Auth!.Login!.TokenCookie);
        Assert.False(service.Apis[1].Policy!.Auth!.Login!.Required);
    }

    [Fact]
    public void EffectivePolicyView_Login_MergesAsAWhole()
    {
        var service = new PolicyConfig { Auth = new AuthConfig { Login = new LoginConfig { CheckUri = "http://s/check", TokenCookie = "S" } } };
        var api = new PolicyConfig { Auth = new AuthConfig { Login = new LoginConfig { Required = false } } };

        var members = EffectivePolicyView.Build(null, service, api);

        var login = Assert.Single(members, m => m.Member == "auth.login");
        Assert.Equal("override", login.Merge);
        Assert.Equal("api", login.Source);
        Assert.DoesNotContain(members, m => m.Member.StartsWith("auth.login.", StringComparison.Ordinal));
    }
}
