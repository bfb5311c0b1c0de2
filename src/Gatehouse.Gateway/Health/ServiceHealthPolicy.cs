using Gatehouse.Core.Config;

namespace Gatehouse.Gateway.Health;

/// <summary>
/// The compiled health settings of one service in one snapshot (<see cref="HealthCheckConfig"/> with durations as
/// <see cref="TimeSpan"/>). Shared by the service's nodes; immutable.
/// </summary>
public sealed class ServiceHealthPolicy
{
    public static readonly ServiceHealthPolicy Default = new(new HealthCheckConfig(), 0);

    public ServiceHealthPolicy(HealthCheckConfig config, int slowStartMs)
    {
        ActiveEnabled = config.Enabled;
        Path = config.Path;
        Interval = TimeSpan.FromMilliseconds(config.IntervalMs);
        Timeout = TimeSpan.FromMilliseconds(config.TimeoutMs);
        HealthyThreshold = config.HealthyThreshold;
        UnhealthyThreshold = config.UnhealthyThreshold;
        var passive = config.Passive ?? new PassiveHealthConfig();
        PassiveEnabled = passive.Enabled;
        ConsecutiveFailures = passive.ConsecutiveFailures;
        FailureRatio = passive.FailureRatio;
        Window = TimeSpan.FromMilliseconds(passive.WindowMs);
        MinimumRequests = passive.MinimumRequests;
        Eject = TimeSpan.FromMilliseconds(passive.EjectMs);
        CountServerErrors = passive.CountServerErrors;
        SlowStart = TimeSpan.FromMilliseconds(slowStartMs);
    }

    public bool ActiveEnabled { get; }

    /// <summary>The service-level probe path; a node's own path wins (<see cref="Model.NodeModel.HealthPath"/>).</summary>
    public string? Path { get; }

    public TimeSpan Interval { get; }

    public TimeSpan Timeout { get; }

    public int HealthyThreshold { get; }

    public int UnhealthyThreshold { get; }

    public bool PassiveEnabled { get; }

    public int ConsecutiveFailures { get; }

    public double? FailureRatio { get; }

    public TimeSpan Window { get; }

    public int MinimumRequests { get; }

    public TimeSpan Eject { get; }

    public bool CountServerErrors { get; }

    /// <summary><see cref="TimeSpan.Zero"/>: slow start off.</summary>
    public TimeSpan SlowStart { get; }

    /// <summary>Creates the policy of a service config; the shared default when nothing is configured.</summary>
    public static ServiceHealthPolicy For(ServiceConfig service) =>
        service.HealthCheck is null && (service.SlowStartMs ?? 0) == 0
            ? Default
            : new ServiceHealthPolicy(service.HealthCheck ?? new HealthCheckConfig(), service.SlowStartMs ?? 0);
}
