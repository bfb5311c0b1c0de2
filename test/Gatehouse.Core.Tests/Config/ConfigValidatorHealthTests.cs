using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class ConfigValidatorHealthTests
{
    private static string Yaml(string service) => $$"""
        services:
          - name: a
            {{service}}
            nodes: [ { id: n1, address: "http://127.0.0.1:8080" } ]
            apis: [ { id: x, path: /x } ]
        """;

    [Fact]
    public void Validate_FullHealthConfig_Accepted()
    {
        const string health = "healthCheck: { enabled: true, path: /healthz, intervalMs: 2000, timeoutMs: 500, healthyThreshold: 2, "
            + "unhealthyThreshold: 3, passive: { enabled: true, consecutiveFailures: 5, failureRatio: 0.3, windowMs: 10000, "
            + "minimumRequests: 20, ejectMs: 3000, countServerErrors: true } }\n    slowStartMs: 30000";
        var config = ConfigLoader.Parse(Yaml(health), "test.yaml", ConfigFormat.Yaml);

        var service = config.Services[0];
        Assert.Equal("/healthz", service.HealthCheck!.Path);
        Assert.Equal(0.3, service.HealthCheck.Passive.FailureRatio);
        Assert.True(service.HealthCheck.Passive.CountServerErrors);
        Assert.Equal(30000, service.SlowStartMs);
    }

    [Fact]
    public void Defaults_OutOfRotationWithinTwoSeconds()
    {
        // The documented promise: two probes one second apart when idle, the third transport failure under traffic.
        var defaults = new HealthCheckConfig();
        Assert.True(defaults.IntervalMs * defaults.UnhealthyThreshold <= 2000);
        Assert.Equal(3, defaults.Passive.ConsecutiveFailures);
        Assert.True(defaults.TimeoutMs < defaults.IntervalMs);
    }

    [Theory]
    [InlineData("healthCheck: { path: health }", "services[a].healthCheck.path", "path 'health' must start with '/'")]
    [InlineData("healthCheck: { intervalMs: 0 }", "services[a].healthCheck.intervalMs", "must be between 1 and 86400000 ms (1 day), got 0")]
    [InlineData("healthCheck: { timeoutMs: 0 }", "services[a].healthCheck.timeoutMs", "must be between 1 and 86400000 ms (1 day), got 0")]
    [InlineData("healthCheck: { intervalMs: 500, timeoutMs: 500 }", "services[a].healthCheck.timeoutMs", "must be less than intervalMs (500), got 500")]
    [InlineData("healthCheck: { healthyThreshold: 0 }", "services[a].healthCheck.healthyThreshold", "must be between 1 and 1000, got 0")]
    [InlineData("healthCheck: { unhealthyThreshold: 0 }", "services[a].healthCheck.unhealthyThreshold", "must be between 1 and 1000, got 0")]
    [InlineData("healthCheck: { passive: { consecutiveFailures: 0 } }", "services[a].healthCheck.passive.consecutiveFailures", "must be between 1 and 1000, got 0")]
    [InlineData("healthCheck: { passive: { failureRatio: 0 } }", "services[a].healthCheck.passive.failureRatio", "must be a ratio greater than 0 and at most 1, got 0")]
    [InlineData("healthCheck: { passive: { failureRatio: 1.5 } }", "services[a].healthCheck.passive.failureRatio", "must be a ratio greater than 0 and at most 1, got 1.5")]
    [InlineData("healthCheck: { passive: { windowMs: 0 } }", "services[a].healthCheck.passive.windowMs", "must be between 1 and 86400000 ms")]
    [InlineData("healthCheck: { passive: { ejectMs: -1 } }", "services[a].healthCheck.passive.ejectMs", "must be between 1 and 86400000 ms")]
    [InlineData("healthCheck: { passive: { minimumRequests: 0 } }", "services[a].healthCheck.passive.minimumRequests", "must be between 1 and 1000000, got 0")]
    [InlineData("slowStartMs: -1", "services[a].slowStartMs", "must be between 0 (off) and 86400000 ms (1 day), got -1")]
    public void Validate_BadHealthConfig_ErrorNamesField(string service, string entry, string message)
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml(service)));

        Assert.Equal(entry, error.Entry);
        Assert.StartsWith(message, error.Message);
    }
}
