using Gatehouse.Core.Config;
using Gatehouse.Gateway.Compilation;
using Gatehouse.Gateway.Filters;
using Gatehouse.Gateway.Filters.Access;
using Gatehouse.Gateway.Filters.Auth;
using Gatehouse.Gateway.Filters.Encryption;
using Gatehouse.Gateway.Filters.RateLimiting;
using Gatehouse.Gateway.Tests.Infrastructure;
using Gatehouse.Plugins;
using static Gatehouse.Gateway.Tests.Infrastructure.TestSnapshots;

namespace Gatehouse.Gateway.Tests.Filters;

/// <summary>The factories of the gateway's own mechanisms, and where the compiler puts what they create.</summary>
public class BuiltInFilterFactoriesTests
{
    private static readonly BuiltInFilterFactories Factories = new(new RateLimiterRegistry(new TestTimeProvider()));
    private readonly AuthRegistry _auth = new(new LocalNonceStore(new TestTimeProvider()), new TestTimeProvider());

    private BuiltInFilterScope Scope(PolicyConfig? global = null, PolicyConfig? service = null, PolicyConfig? api = null)
    {
        var apiConfig = new ApiConfig { Id = "a", Path = "/a", Policy = api };
        var serviceConfig = new ServiceConfig { Name = "S", Policy = service, Apis = [apiConfig] };
        var config = new GatewayConfig
        {
            Global = global,
            Services = [serviceConfig],
            Apps = [new AppConfig { AppKey = "k", Secret = "0123456789abcdef0123456789abcdef" }],
        };
        return new BuiltInFilterScope(global, serviceConfig, apiConfig, PolicyMerger.Merge(api, service, global), _auth.Begin(config, "test"), []);
    }

    private static IBuiltInFilterFactory Factory(string name)
    {
        foreach (var factory in Factories.BeforePlugins.Concat(Factories.AccessControl).Concat(Factories.Last))
        {
            if (factory.Name == name)
            {
                return factory;
            }
        }

        throw new InvalidOperationException(name);
    }

    [Fact]
    public void Factories_EveryMechanismOnce_InChainOrder_NamesReserved()
    {
        string[] names = [.. Factories.BeforePlugins.Concat(Factories.AccessControl).Concat(Factories.Last).Select(f => f.Name)];

        Assert.Equal([GatewayFilterNames.IpAccess, GatewayFilterNames.BodyLimit, GatewayFilterNames.ClientCertificate,
            GatewayFilterNames.Signature, GatewayFilterNames.Jwt, GatewayFilterNames.Login, GatewayFilterNames.RateLimit,
            GatewayFilterNames.PayloadEncryption], names);
        Assert.All(names, name => Assert.NotNull(GatewayFilterNames.ConfiguredBy(name)));
    }

    [Theory]
    [InlineData(GatewayFilterNames.IpAccess)]
    [InlineData(GatewayFilterNames.BodyLimit)]
    [InlineData(GatewayFilterNames.ClientCertificate)]
    [InlineData(GatewayFilterNames.Signature)]
    [InlineData(GatewayFilterNames.Jwt)]
    [InlineData(GatewayFilterNames.Login)]
    [InlineData(GatewayFilterNames.RateLimit)]
    [InlineData(GatewayFilterNames.PayloadEncryption)]
    public void Create_PolicyWithoutTheMechanism_NoFilter(string name)
    {
        Assert.Null(Factory(name).Create(Scope(global: new PolicyConfig(), api: new PolicyConfig())));
    }

    [Fact]
    public void IpAccess_EveryLevelWithLists_OneFilterOuterFirst_EmptyListsSkipped()
    {
        var filter = Factory(GatewayFilterNames.IpAccess).Create(Scope(
            global: new PolicyConfig { IpAccess = new IpAccessConfig { Deny = ["192.0.2.0/24"] } },
            service: new PolicyConfig { IpAccess = new IpAccessConfig() },
            api: new PolicyConfig { IpAccess = new IpAccessConfig { Allow = ["10.0.0.0/8"] } }));

        var ip = Assert.IsType<IpAccessFilter>(filter);
        Assert.Equal("global", ip.FirstRefusing(Core.Net.IpRange.ToUInt128(System.Net.IPAddress.Parse("192.0.2.1")))!.Level);
        Assert.Equal("api", ip.FirstRefusing(Core.Net.IpRange.ToUInt128(System.Net.IPAddress.Parse("198.51.100.1")))!.Level);
    }

    [Fact]
    public void BodyLimit_MergedLimit()
    {
        Assert.IsType<BodyLimitFilter>(Factory(GatewayFilterNames.BodyLimit).Create(
            Scope(global: new PolicyConfig { Limits = new RequestLimitsConfig { MaxBodyBytes = 10 } })));
    }

    [Fact]
    public void Auth_InnermostLevelWins_RequiredFalseTurnsOff()
    {
        var sign = new PolicyConfig { Auth = new AuthConfig { Sign = new SignConfig() } };
        var off = new PolicyConfig { Auth = new AuthConfig { Sign = new SignConfig { Required = false } } };

        Assert.IsType<SignatureFilter>(Factory(GatewayFilterNames.Signature).Create(Scope(global: sign)));
        Assert.Null(Factory(GatewayFilterNames.Signature).Create(Scope(global: sign, api: off)));
        Assert.IsType<ClientCertificateFilter>(Factory(GatewayFilterNames.ClientCertificate).Create(
            Scope(service: new PolicyConfig { Auth = new AuthConfig { ClientCertificate = new ClientCertificateConfig() } })));
        Assert.IsType<JwtFilter>(Factory(GatewayFilterNames.Jwt).Create(Scope(api: new PolicyConfig
        {
            Auth = new AuthConfig { Jwt = new JwtConfig { Issuer = "i", JwksUri = "http://127.0.0.1:9/jwks" } },
        })));
        var login = new LoginConfig { CheckUri = "http://127.0.0.1:9/check", TokenCookie = "SESSION" };
        Assert.IsType<LoginFilter>(Factory(GatewayFilterNames.Login).Create(Scope(service: new PolicyConfig { Auth = new AuthConfig { Login = login } })));
        Assert.IsType<RemoveHeaderFilter>(Factory(GatewayFilterNames.Login).Create(Scope(
            service: new PolicyConfig { Auth = new AuthConfig { Login = login } },
            api: new PolicyConfig { Auth = new AuthConfig { Login = new LoginConfig { Required = false } } })));
    }

    [Fact]
    public void RateLimit_EveryLevelItsScope()
    {
        var scope = Scope(global: new PolicyConfig { RateLimit = new RateLimitConfig { Limit = 10 } },
            api: new PolicyConfig { RateLimit = new RateLimitConfig { Limit = 5 } });

        Assert.IsType<RateLimitFilter>(Factory(GatewayFilterNames.RateLimit).Create(scope));
        Assert.Equal(["api:s/a", "global"], scope.RateLimitScopes.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void PayloadEncryption_SealingDeclaresTheBodyPhase_RequestOnlyDoesNot()
    {
        var sealing = Factory(GatewayFilterNames.PayloadEncryption).Create(Scope(global: new PolicyConfig { Encryption = new EncryptionConfig() }));
        var requestOnly = Factory(GatewayFilterNames.PayloadEncryption).Create(
            Scope(global: new PolicyConfig { Encryption = new EncryptionConfig { EncryptResponse = false, MaxBodyBytes = 4096 } }));

        Assert.Equal(PluginPhases.Request | PluginPhases.ResponseBody, Assert.IsType<PayloadEncryptionFilter>(sealing).Phases);
        Assert.Equal(PluginPhases.Request, Assert.IsType<PayloadEncryptionFilter>(requestOnly).Phases);
        Assert.Equal(1024 * 1024, ((IGatewayPlugin)sealing!).MaxResponseBodyBytes);
    }

    [Fact]
    public void Compile_OneChain_BuiltInsAtFixedPlaces_PluginsByStage()
    {
        var config = new GatewayConfig
        {
            Apps = [new AppConfig { AppKey = "k", Secret = "0123456789abcdef0123456789abcdef" }],
            Global = new PolicyConfig
            {
                IpAccess = new IpAccessConfig { Deny = ["192.0.2.0/24"] },
                RateLimit = new RateLimitConfig { Limit = 10 },
                Encryption = new EncryptionConfig(),
            },
            Services =
            [
                Service("s") with
                {
                    Apis =
                    [
                        new ApiConfig
                        {
                            Id = "a",
                            Path = "/a",
                            Policy = new PolicyConfig
                            {
                                Auth = new AuthConfig { Sign = new SignConfig() },
                                Filters =
                                [
                                    new FilterConfig { Name = "cache", Settings = System.Text.Json.JsonDocument.Parse("""{"ttlSeconds":1}""").RootElement },
                                    new FilterConfig { Name = "headers", Settings = System.Text.Json.JsonDocument.Parse("""{"request":{"set":{"X-A":"1"}}}""").RootElement },
                                ],
                            },
                        },
                    ],
                },
            ],
        };

        var chain = Compile(config).Services["s"].Apis[0].Filters;

        Assert.Equal(
            [GatewayFilterNames.IpAccess, "headers", GatewayFilterNames.Signature, GatewayFilterNames.RateLimit, "cache", GatewayFilterNames.PayloadEncryption],
            chain.Plugins.Select(p => p.Name));
        Assert.True(chain.BuffersResponse);
    }
}
