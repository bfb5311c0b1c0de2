using Gatehouse.Core.Config;
using Gatehouse.Gateway.Filters;
using Gatehouse.Gateway.Filters.Access;
using Gatehouse.Gateway.Filters.RateLimiting;
using static Gatehouse.Gateway.Tests.Infrastructure.TestSnapshots;

namespace Gatehouse.Gateway.Tests.Compilation;

public class FilterCompileTests
{
    [Fact]
    public void Compile_FiltersInOrder_IpAccessThenBodyLimitThenRateLimit()
    {
        var config = new GatewayConfig
        {
            Global = new PolicyConfig { RateLimit = new RateLimitConfig { Limit = 10 }, Limits = new RequestLimitsConfig { MaxBodyBytes = 1000 } },
            Services =
            [
                Service("s", policy: new PolicyConfig { IpAccess = new IpAccessConfig { Deny = ["192.0.2.0/24"] } }) with
                {
                    Apis =
                    [
                        new ApiConfig { Id = "a", Path = "/a" },
                        new ApiConfig { Id = "b", Path = "/b", Policy = new PolicyConfig { Limits = new RequestLimitsConfig { MaxBodyBytes = 5 } } },
                    ],
                },
                Service("empty-lists", policy: new PolicyConfig { IpAccess = new IpAccessConfig() }) with
                {
                    Apis = [new ApiConfig { Id = "c", Path = "/c" }],
                },
            ],
        };

        var snapshot = Compile(config);
        var a = snapshot.Services["s"].Apis[0];
        var b = snapshot.Services["s"].Apis[1];

        Assert.Collection(a.Filters,
            f => Assert.IsType<IpAccessFilter>(f),
            f => Assert.IsType<BodyLimitFilter>(f),
            f => Assert.IsType<RateLimitFilter>(f));
        Assert.Equal(1000, a.Policy.MaxBodyBytes);
        Assert.Equal(5, b.Policy.MaxBodyBytes);
        // Lists that are both empty admit everyone: no IP filter at all.
        Assert.Collection(snapshot.Services["empty-lists"].Apis[0].Filters,
            f => Assert.IsType<BodyLimitFilter>(f),
            f => Assert.IsType<RateLimitFilter>(f));
    }
}
