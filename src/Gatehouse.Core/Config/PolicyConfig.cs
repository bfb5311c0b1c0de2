namespace Gatehouse.Core.Config;

/// <summary>
/// Policy at global, service or API level. Every member is optional: the effective policy of an API is
/// merged field by field (API ?? service ?? global ?? built-in default) when the snapshot is compiled.
/// </summary>
public sealed record PolicyConfig
{
    public LoadBalancerConfig? LoadBalancer { get; init; }

    public RoutingConfig? Routing { get; init; }

    /// <summary>Weighted canary: a share of ordinary traffic goes to nodes of a gray tag or version. Merged as a whole.</summary>
    public CanaryConfig? Canary { get; init; }

    public TimeoutConfig? Timeouts { get; init; }

    public RetryConfig? Retry { get; init; }

    /// <summary>
    /// Request rate limit at this level. Unlike the other members it is not merged: each level's limit is its
    /// own limiter (global: all traffic of the gateway; service: all APIs of the service; API: that API), and a
    /// request must pass every level that sets one.
    /// </summary>
    public RateLimitConfig? RateLimit { get; init; }

    /// <summary>Client address allow / deny lists. Stacked like <see cref="RateLimit"/>: every level that sets one applies.</summary>
    public IpAccessConfig? IpAccess { get; init; }

    /// <summary>Request limits (body size), merged field by field.</summary>
    public RequestLimitsConfig? Limits { get; init; }
}

/// <summary>Which balancer picks the node, and its parameters. Merged as a whole, not per field.</summary>
public sealed record LoadBalancerConfig
{
    public LoadBalancerKind Kind { get; init; } = LoadBalancerKind.RoundRobin;

    /// <summary>Key source for <see cref="LoadBalancerKind.ConsistentHash"/>.</summary>
    public HashKeyConfig? HashKey { get; init; }

    /// <summary>Virtual nodes per unit of weight-100 node on the consistent-hash ring.</summary>
    public int? VirtualNodes { get; init; }
}

public sealed record HashKeyConfig
{
    public HashKeySource Source { get; init; } = HashKeySource.ClientIp;

    /// <summary>Header or query parameter name when <see cref="Source"/> needs one.</summary>
    public string? Name { get; init; }
}

public sealed record RoutingConfig
{
    /// <summary>Prefer nodes whose <c>loc</c> equals the gateway's own, falling back to all.</summary>
    public bool? Nearest { get; init; }

    /// <summary>Honour the <c>gray</c> header and keep gray-tagged nodes out of ordinary traffic.</summary>
    public bool? Gray { get; init; }
}

public sealed record TimeoutConfig
{
    /// <summary>TCP (and TLS) connect timeout to a node.</summary>
    public int? ConnectMs { get; init; }

    /// <summary>From sending the request until the response headers arrive.</summary>
    public int? ResponseHeadersMs { get; init; }

    /// <summary>Longest pause in body traffic, in either direction, before the exchange is abandoned.</summary>
    public int? IdleMs { get; init; }
}

public sealed record RetryConfig
{
    /// <summary>Retry an idempotent request once on another node when the connection failed before anything was sent.</summary>
    public bool? OnConnectFailure { get; init; }
}

public enum LoadBalancerKind
{
    /// <summary>Smooth weighted round robin (the nginx algorithm).</summary>
    RoundRobin,
    WeightedRandom,
    ConsistentHash,
    /// <summary>Least in-flight requests, sampled by power of two choices.</summary>
    LeastInFlight,
}

public enum HashKeySource
{
    Header,
    Query,
    ClientIp,
    Path,
}
