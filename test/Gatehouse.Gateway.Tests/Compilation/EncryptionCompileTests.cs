using Gatehouse.Core.Config;
using Gatehouse.Gateway.Filters.Auth;
using Gatehouse.Gateway.Filters.Encryption;
using Gatehouse.Gateway.Filters.RateLimiting;
using static Gatehouse.Gateway.Tests.Infrastructure.TestSnapshots;

namespace Gatehouse.Gateway.Tests.Compilation;

public class EncryptionCompileTests
{
    private static GatewayConfig Config(PolicyConfig servicePolicy, params ApiConfig[] apis) => new()
    {
        Apps = [new AppConfig { AppKey = "app", Secret = "0123456789abcdef", Permissions = ["s"] }],
        Services = [Service("s", policy: servicePolicy) with { Apis = apis }],
    };

    [Fact]
    public void Compile_Encryption_IsTheLastFilter_AfterAuthAndRateLimits()
    {
        var snapshot = Compile(Config(
            new PolicyConfig
            {
                Encryption = new EncryptionConfig(),
                RateLimit = new RateLimitConfig { Limit = 10 },
                Auth = new AuthConfig { Sign = new SignConfig() },
            },
            new ApiConfig { Id = "a", Path = "/a" }));

        var api = snapshot.Services["s"].Apis[0];

        Assert.Collection(api.Filters,
            f => Assert.IsType<SignatureFilter>(f),
            f => Assert.IsType<RateLimitFilter>(f),
            f => Assert.IsType<PayloadEncryptionFilter>(f));
        Assert.True(api.Filters.BuffersResponse);
    }

    [Fact]
    public void Compile_InnermostLevelWins_RequiredFalseTurnsItOff_RequestOnlyDoesNotSeal()
    {
        var snapshot = Compile(Config(
            new PolicyConfig { Encryption = new EncryptionConfig { MaxBodyBytes = 4096 } },
            new ApiConfig { Id = "on", Path = "/on" },
            new ApiConfig { Id = "off", Path = "/off", Policy = new PolicyConfig { Encryption = new EncryptionConfig { Required = false } } },
            new ApiConfig { Id = "in", Path = "/in", Policy = new PolicyConfig { Encryption = new EncryptionConfig { EncryptResponse = false } } }));

        var apis = snapshot.Services["s"].Apis;

        Assert.True(apis[0].Filters.BuffersResponse);
        Assert.Empty(apis[1].Filters);
        Assert.False(apis[1].Filters.BuffersResponse);
        Assert.IsType<PayloadEncryptionFilter>(Assert.Single(apis[2].Filters));
        Assert.False(apis[2].Filters.BuffersResponse);
    }

    [Fact]
    public void Compile_NoEncryption_ApiPaysNothing()
    {
        var snapshot = Compile(Config(new PolicyConfig(), new ApiConfig { Id = "a", Path = "/a" }));

        var api = snapshot.Services["s"].Apis[0];

        Assert.Empty(api.Filters);
        Assert.False(api.Filters.BuffersResponse);
    }
}
