using Gatehouse.Core.Config;
using Gatehouse.Gateway.Compilation;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Resilience;
using Gatehouse.Gateway.Tests.Infrastructure;

namespace Gatehouse.Gateway.Tests.Resilience;

public class ResilienceRegistryTests
{
    private readonly TestTimeProvider _time = new();

    private static EffectivePolicy Merge(PolicyConfig? api, PolicyConfig? service = null, PolicyConfig? global = null)
        => PolicyMerger.Merge(api, service, global);

    [Fact]
    public void Merge_NoBreakerBlock_NoBreaker_RetryDefaultsKeepOldBehaviour()
    {
        var policy = Merge(null);

        Assert.Null(policy.CircuitBreaker);
        Assert.Equal(2, policy.Retry.MaxAttempts);
        Assert.True(policy.Retry.OnConnectFailure);
        Assert.Equal(Timeout.InfiniteTimeSpan, policy.RequestTimeout);
    }

    [Fact]
    public void Merge_BreakerFieldsFromEveryLevel_ApiDisablesWhatGlobalEnabled()
    {
        var global = new PolicyConfig { CircuitBreaker = new CircuitBreakerConfig { FailureRatio = 0.2, OpenMs = 1000 } };
        var service = new PolicyConfig { CircuitBreaker = new CircuitBreakerConfig { Scope = CircuitBreakerScope.ApiNode, FailureStatuses = [500] } };

        var merged = Merge(new PolicyConfig { CircuitBreaker = new CircuitBreakerConfig { OpenMs = 2000 } }, service, global).CircuitBreaker!;

        Assert.Equal(0.2, merged.FailureRatio);
        Assert.Equal(TimeSpan.FromSeconds(2), merged.OpenDuration);
        Assert.Equal(CircuitBreakerScope.ApiNode, merged.Scope);
        Assert.True(merged.FailureStatuses.Contains(500));
        Assert.False(merged.FailureStatuses.Contains(503));
        Assert.Null(Merge(new PolicyConfig { CircuitBreaker = new CircuitBreakerConfig { Enabled = false } }, service, global).CircuitBreaker);
    }

    [Fact]
    public void Merge_BudgetFromServiceNotApi()
    {
        var retry = Merge(new PolicyConfig { Retry = new RetryConfig { BudgetPercent = 90 } },
            new PolicyConfig { Retry = new RetryConfig { BudgetPercent = 30 } }).Retry;

        Assert.Equal(30, retry.BudgetPercent);
    }

    [Fact]
    public void Compile_UnchangedPolicy_KeepsBreakerState_ChangedPolicyStartsOver()
    {
        var registry = new ResilienceRegistry(_time);
        var config = new PolicyConfig { CircuitBreaker = new CircuitBreakerConfig { MinimumThroughput = 1, FailureStatuses = [503] } };
        var node = TestNodes.Node("n1");
        var first = registry.Compile("S", "api", Merge(config), [node]);
        var breaker = first.BreakerFor(node)!;
        Assert.True(breaker.TryAcquire(out _));
        breaker.Record(CallOutcome.Failure);
        Assert.Equal(CircuitState.Open, breaker.State);

        // A reload compiles new (equal) policy records: the breaker and its open state carry over.
        var second = registry.Compile("s", "api", Merge(config with { }), [node]);
        Assert.Same(breaker, second.BreakerFor(node));

        var changed = registry.Compile("s", "api", Merge(config with { CircuitBreaker = config.CircuitBreaker! with { OpenMs = 1 } }), [node]);
        Assert.NotSame(breaker, changed.BreakerFor(node));
        Assert.Equal(CircuitState.Closed, changed.BreakerFor(node)!.State);
    }

    [Fact]
    public void Compile_ApiNodeScope_OneBreakerPerNode()
    {
        var registry = new ResilienceRegistry(_time);
        var config = new PolicyConfig { CircuitBreaker = new CircuitBreakerConfig { Scope = CircuitBreakerScope.ApiNode } };
        var a = TestNodes.Node("a");
        var b = TestNodes.Node("b");

        var compiled = registry.Compile("s", "api", Merge(config), [a, b]);

        Assert.True(compiled.PerNode);
        Assert.NotSame(compiled.BreakerFor(a), compiled.BreakerFor(b));
        Assert.Equal("s/api@a", compiled.BreakerFor(a)!.Name);
        Assert.Null(compiled.BreakerFor(TestNodes.Node("c")));
    }
}
