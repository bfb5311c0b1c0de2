using System.Text.Json.Nodes;
using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class EffectivePolicyViewTests
{
    private static EffectivePolicyMember Member(IReadOnlyList<EffectivePolicyMember> view, string name) =>
        Assert.Single(view, m => m.Member == name);

    [Fact]
    public void Build_NoPolicies_EveryMemberFromDefault()
    {
        var view = EffectivePolicyView.Build(null, null, null);

        Assert.All(view, m => Assert.Equal(EffectivePolicyView.Default, m.Source));
        Assert.Equal("roundRobin", Member(view, "loadBalancer").Value!["kind"]!.GetValue<string>());
        Assert.Equal(5000, Member(view, "timeouts.connectMs").Value!.GetValue<int>());
        Assert.True(Member(view, "routing.gray").Value!.GetValue<bool>());
        Assert.Null(Member(view, "canary").Value);
        Assert.Empty(Member(view, "rateLimit").Levels!);
    }

    [Fact]
    public void Build_FieldByFieldMembers_EachFieldFromItsInnermostLevel()
    {
        var view = EffectivePolicyView.Build(
            global: new PolicyConfig { Timeouts = new TimeoutConfig { ConnectMs = 100, IdleMs = 300 } },
            service: new PolicyConfig { Timeouts = new TimeoutConfig { IdleMs = 200 }, Routing = new RoutingConfig { Nearest = false } },
            api: new PolicyConfig { Timeouts = new TimeoutConfig { ResponseHeadersMs = 50 } });

        Assert.Equal(("global", 100), (Member(view, "timeouts.connectMs").Source, Member(view, "timeouts.connectMs").Value!.GetValue<int>()));
        Assert.Equal(("api", 50), (Member(view, "timeouts.responseHeadersMs").Source, Member(view, "timeouts.responseHeadersMs").Value!.GetValue<int>()));
        Assert.Equal(("service", 200), (Member(view, "timeouts.idleMs").Source, Member(view, "timeouts.idleMs").Value!.GetValue<int>()));
        Assert.Equal("service", Member(view, "routing.nearest").Source);
        Assert.Equal("default", Member(view, "routing.gray").Source);
        Assert.All(view.Where(m => m.Member.StartsWith("timeouts.", StringComparison.Ordinal)), m => Assert.Equal("override", m.Merge));
    }

    [Fact]
    public void Build_WholeMembers_TakenWholeFromInnermostLevel()
    {
        var serviceLb = new LoadBalancerConfig
        {
            Kind = LoadBalancerKind.ConsistentHash, HashKey = new HashKeyConfig { Source = HashKeySource.Header, Name = "X-User" },
        };
        var view = EffectivePolicyView.Build(
            global: new PolicyConfig { LoadBalancer = new LoadBalancerConfig { Kind = LoadBalancerKind.LeastInFlight } },
            service: new PolicyConfig { LoadBalancer = serviceLb, Canary = new CanaryConfig { Version = "v2", Percent = 5 } },
            api: new PolicyConfig { Canary = new CanaryConfig { Gray = "beta", Percent = 50 } });

        var lb = Member(view, "loadBalancer");
        Assert.Equal("service", lb.Source);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"kind":"consistentHash","hashKey":{"source":"header","name":"X-User"}}"""), lb.Value));
        Assert.DoesNotContain(view, m => m.Member.StartsWith("loadBalancer.", StringComparison.Ordinal));

        var canary = Member(view, "canary");
        Assert.Equal("api", canary.Source);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"gray":"beta","percent":50}"""), canary.Value));
    }

    [Fact]
    public void Build_RateLimit_StacksEveryLevelOutermostFirst()
    {
        var view = EffectivePolicyView.Build(
            global: new PolicyConfig { RateLimit = new RateLimitConfig { Limit = 1000 } },
            service: null,
            api: new PolicyConfig { RateLimit = new RateLimitConfig { Limit = 10, Key = new RateLimitKeyConfig { Source = RateLimitKeySource.ClientIp } } });

        var rateLimit = Member(view, "rateLimit");
        Assert.Equal("stack", rateLimit.Merge);
        Assert.Equal("api", rateLimit.Source);
        Assert.Null(rateLimit.Value);
        Assert.Equal(["global", "api"], rateLimit.Levels!.Select(l => l.Source));
        Assert.Equal(1000, rateLimit.Levels![0].Value!["limit"]!.GetValue<int>());
        Assert.Equal("clientIp", rateLimit.Levels[1].Value!["key"]!["source"]!.GetValue<string>());
    }

    [Fact]
    public void Build_CoversEveryPolicyMember()
    {
        // Members added to PolicyConfig appear without changes to the view: every top-level JSON name is present,
        // either itself or as the prefix of its fields.
        var view = EffectivePolicyView.Build(null, null, null);
        var topLevel = typeof(PolicyConfig).GetProperties().Select(p => char.ToLowerInvariant(p.Name[0]) + p.Name[1..]);
        Assert.All(topLevel, name => Assert.Contains(view, m => m.Member == name || m.Member.StartsWith(name + ".", StringComparison.Ordinal)));
    }

    [Fact]
    public void Build_NewMemberTypes_MergeRuleReadFromTheType()
    {
        var view = EffectivePolicyView.Build(typeof(FuturePolicy),
            global: new FuturePolicy { Breaker = new FutureBreaker { Failures = 5, OpenMs = 1000 }, Budget = new FutureBudget { Ratio = 0.2 } },
            service: new FuturePolicy { Breaker = new FutureBreaker { Failures = 9 }, Quota = new FutureQuota { Limit = 7 } },
            api: new FuturePolicy { Budget = new FutureBudget { MinPerSecond = 3 }, Quota = new FutureQuota { Limit = 1 } },
            defaults: null);

        // All-optional fields: field by field.
        Assert.Equal("service", Member(view, "breaker.failures").Source);
        Assert.Equal("global", Member(view, "breaker.openMs").Source);
        // All-optional but marked whole: the API's budget replaces the global one entirely.
        var budget = Member(view, "budget");
        Assert.Equal("api", budget.Source);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"minPerSecond":3}"""), budget.Value));
        // Stacked: both levels listed, outermost first.
        Assert.Equal(["service", "api"], Member(view, "quota").Levels!.Select(l => l.Source));
    }

    private sealed record FuturePolicy
    {
        public FutureBreaker? Breaker { get; init; }

        public FutureBudget? Budget { get; init; }

        public FutureQuota? Quota { get; init; }
    }

    private sealed record FutureBreaker
    {
        public int? Failures { get; init; }

        public int? OpenMs { get; init; }
    }

    [MergedWholePolicy]
    private sealed record FutureBudget
    {
        public double? Ratio { get; init; }

        public int? MinPerSecond { get; init; }
    }

    [StackedPolicy]
    private sealed record FutureQuota
    {
        public int Limit { get; init; }
    }
}
