namespace Gatehouse.Core.Config;

/// <summary>
/// Health checking of a service's nodes (<c>services[].healthCheck</c>). Every key has a default, so an absent
/// block means: active probes for nodes that name a <c>healthPath</c>, passive ejection for every node.
/// </summary>
/// <remarks>
/// The defaults take a node that dies (<c>kill -9</c>) out of rotation within about 2 s: under traffic passive
/// ejection acts on the third consecutive transport failure, i.e. at once; an idle node fails two probes one
/// second apart.
/// </remarks>
public sealed record HealthCheckConfig
{
    /// <summary>Active probing on or off; off leaves only passive checks (and nodes ejected by them come back after <c>ejectMs</c>).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// Path probed with GET (2xx/3xx is healthy); a node's own <c>healthPath</c> wins. Null with no node path: the
    /// probe is a TCP connect, and only nodes that passive checks ejected are probed.
    /// </summary>
    public string? Path { get; init; }

    public int IntervalMs { get; init; } = 1000;

    /// <summary>Per probe; must be shorter than the interval so probes of one node never overlap.</summary>
    public int TimeoutMs { get; init; } = 500;

    /// <summary>Consecutive successful probes that bring an unhealthy node back.</summary>
    public int HealthyThreshold { get; init; } = 2;

    /// <summary>Consecutive failed probes that take a node out.</summary>
    public int UnhealthyThreshold { get; init; } = 2;

    public PassiveHealthConfig Passive { get; init; } = new();
}

/// <summary>
/// Passive checks (outlier ejection) from real traffic: a node is ejected for <see cref="EjectMs"/> after
/// <see cref="ConsecutiveFailures"/> failed attempts in a row, or when at least <see cref="MinimumRequests"/>
/// attempts in the current <see cref="WindowMs"/> window failed at <see cref="FailureRatio"/> or more. After the
/// cool-down one successful probe brings it back.
/// </summary>
public sealed record PassiveHealthConfig
{
    public bool Enabled { get; init; } = true;

    public int ConsecutiveFailures { get; init; } = 3;

    /// <summary>Null: no ratio rule.</summary>
    public double? FailureRatio { get; init; } = 0.5;

    public int WindowMs { get; init; } = 10_000;

    public int MinimumRequests { get; init; } = 20;

    public int EjectMs { get; init; } = 5000;

    /// <summary>
    /// Whether a 5xx answer counts as a failure. Off by default: a 5xx is an answer from a live node, often the
    /// request's fault; connect failures, resets and header timeouts always count.
    /// </summary>
    public bool CountServerErrors { get; init; }
}
