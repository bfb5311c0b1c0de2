using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class ConfigValidatorResilienceTests
{
    private static string Yaml(string globalPolicy, string apiPolicy = "{}") => $$"""
        global: {{globalPolicy}}
        services:
          - name: a
            nodes: [ { id: n1, address: "http://127.0.0.1:8080" } ]
            apis:
              - id: x
                path: /x
                policy: {{apiPolicy}}
        """;

    [Fact]
    public void Validate_FullResilienceConfig_Accepted()
    {
        var config = ConfigLoader.Parse(Yaml(
            """
            { timeouts: { connectMs: 500, responseHeadersMs: 1000, idleMs: 2000, requestMs: 3000 },
              retry: { onConnectFailure: true, onResponseHeadersTimeout: true, onStatuses: [502, 503], maxAttempts: 3,
                       budgetPercent: 10, minRetriesPerSecond: 5 },
              circuitBreaker: { enabled: true, scope: apiNode, failureRatio: 0.5, slowCallRatio: 1, slowCallMs: 200,
                                minimumThroughput: 10, windowMs: 5000, openMs: 1000, halfOpenProbes: 2, failureStatuses: [500, 503] } }
            """,
            "{ retry: { retryable: true, maxAttempts: 2 }, circuitBreaker: { scope: api } }"), "test.yaml", ConfigFormat.Yaml);

        Assert.Equal(CircuitBreakerScope.ApiNode, config.Global!.CircuitBreaker!.Scope);
        Assert.Equal([502, 503], config.Global.Retry!.OnStatuses);
        Assert.Equal(3000, config.Global.Timeouts!.RequestMs);
        Assert.True(config.Services[0].Apis[0].Policy!.Retry!.Retryable);
    }

    [Theory]
    [InlineData("{ circuitBreaker: { failureRatio: 0 } }", "global.circuitBreaker.failureRatio", "must be a ratio greater than 0 and at most 1, got 0")]
    [InlineData("{ circuitBreaker: { failureRatio: 1.5 } }", "global.circuitBreaker.failureRatio", "must be a ratio greater than 0 and at most 1, got 1.5")]
    [InlineData("{ circuitBreaker: { slowCallRatio: -0.1 } }", "global.circuitBreaker.slowCallRatio", "must be a ratio greater than 0 and at most 1")]
    [InlineData("{ circuitBreaker: { slowCallMs: 0 } }", "global.circuitBreaker.slowCallMs", "must be between 1 and 86400000 ms")]
    [InlineData("{ circuitBreaker: { openMs: -5 } }", "global.circuitBreaker.openMs", "must be between 1 and 86400000 ms")]
    [InlineData("{ circuitBreaker: { windowMs: 5 } }", "global.circuitBreaker.windowMs", "must be between 10 and 86400000 ms")]
    [InlineData("{ circuitBreaker: { minimumThroughput: 0 } }", "global.circuitBreaker.minimumThroughput", "must be between 1 and 1000000, got 0")]
    [InlineData("{ circuitBreaker: { halfOpenProbes: 0 } }", "global.circuitBreaker.halfOpenProbes", "must be between 1 and 1000, got 0")]
    [InlineData("{ circuitBreaker: { failureStatuses: [503, 404] } }", "global.circuitBreaker.failureStatuses[1]", "must be a 5xx status (500..599), got 404")]
    [InlineData("{ circuitBreaker: { failureStatuses: [503, 503] } }", "global.circuitBreaker.failureStatuses[1]", "status 503 is listed twice")]
    [InlineData("{ retry: { maxAttempts: 0 } }", "global.retry.maxAttempts", "must be between 1 and 10, got 0")]
    [InlineData("{ retry: { maxAttempts: 11 } }", "global.retry.maxAttempts", "must be between 1 and 10, got 11")]
    [InlineData("{ retry: { onStatuses: [200] } }", "global.retry.onStatuses[0]", "must be a 5xx status (500..599), got 200")]
    [InlineData("{ retry: { budgetPercent: -1 } }", "global.retry.budgetPercent", "must be between 0 and 1000 (percent of requests), got -1")]
    [InlineData("{ retry: { minRetriesPerSecond: -3 } }", "global.retry.minRetriesPerSecond", "must be between 0 and 100000, got -3")]
    [InlineData("{ timeouts: { requestMs: 0 } }", "global.timeouts.requestMs", "must be between 1 and 86400000 ms (1 day), got 0")]
    public void Validate_BadGlobalResilience_ErrorNamesField(string policy, string entry, string message)
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml(policy)));

        Assert.Equal(entry, error.Entry);
        Assert.StartsWith(message, error.Message);
    }

    [Theory]
    [InlineData("{ retry: { budgetPercent: 50 } }", "services[a].apis[x].policy.retry.budgetPercent", "the retry budget is per service")]
    [InlineData("{ retry: { minRetriesPerSecond: 1 } }", "services[a].apis[x].policy.retry.minRetriesPerSecond", "the retry budget is per service")]
    public void Validate_BudgetAtApiLevel_Rejected(string apiPolicy, string entry, string message)
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml("{}", apiPolicy)));

        Assert.Equal(entry, error.Entry);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void Validate_UnknownScope_RejectedByShape()
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml("{ circuitBreaker: { scope: node } }")));

        Assert.Equal("global.circuitBreaker.scope", error.Entry);
    }

    [Fact]
    public void Validate_SeveralBadBreakerFields_AllReported()
    {
        var errors = ConfigFixtures.YamlErrors(Yaml("{ circuitBreaker: { failureRatio: 2, openMs: 0, halfOpenProbes: 0 } }"));

        Assert.Equal(
            ["global.circuitBreaker.failureRatio", "global.circuitBreaker.openMs", "global.circuitBreaker.halfOpenProbes"],
            errors.Select(e => e.Entry).ToArray());
    }
}
