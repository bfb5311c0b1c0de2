namespace Gatehouse.Core.Config;

/// <summary>
/// The built-in policy values that apply where no level sets a member, as a <see cref="PolicyConfig"/>, so that
/// tools (the effective-policy view) can show them. The gateway's merged policy starts from the same values; a
/// gateway test keeps the two equal.
/// </summary>
public static class PolicyDefaults
{
    public static PolicyConfig Value { get; } = new()
    {
        LoadBalancer = new LoadBalancerConfig { Kind = LoadBalancerKind.RoundRobin },
        Routing = new RoutingConfig { Nearest = true, Gray = true },
        Timeouts = new TimeoutConfig { ConnectMs = 5_000, ResponseHeadersMs = 30_000, IdleMs = 60_000 },
        Retry = new RetryConfig { OnConnectFailure = true },
    };
}
