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

    /// <summary>Circuit breaker of each API (or each API and node); merged field by field like the timeouts.</summary>
    public CircuitBreakerConfig? CircuitBreaker { get; init; }

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

    /// <summary>Caller authentication (signatures, JWT); <c>auth.sign</c> and <c>auth.jwt</c> each merge as a whole.</summary>
    public AuthConfig? Auth { get; init; }

    /// <summary>Payload encryption with the calling app's key (AES-GCM); merged as a whole.</summary>
    public EncryptionConfig? Encryption { get; init; }

    /// <summary>
    /// Plugin filters, run in list order (see docs/plugins.md). Merged as a whole like every other list: the innermost
    /// level that sets <c>filters</c> replaces the outer ones, and an empty list turns inherited filters off.
    /// </summary>
    public IReadOnlyList<FilterConfig>? Filters { get; init; }
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

    /// <summary>
    /// Whole exchange, every attempt included, from the start of forwarding until the response is fully sent;
    /// unset means no limit. Expiry before the response started answers 504; after, the connection is reset.
    /// </summary>
    public int? RequestMs { get; init; }
}

/// <summary>
/// Retries on another node. A connection that could not be established (nothing was sent) is retried whatever the
/// method; any other failure only for idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) unless
/// <see cref="Retryable"/> is set; and never once a request body has started streaming to a node.
/// </summary>
public sealed record RetryConfig
{
    /// <summary>
    /// Retry when the connection to a node failed or timed out (any method: nothing was sent), or broke before the
    /// response headers with no request body sent (requests safe to repeat only); default true.
    /// </summary>
    public bool? OnConnectFailure { get; init; }

    /// <summary>Retry when the response headers did not arrive in time and no request body was sent; default false.</summary>
    public bool? OnResponseHeadersTimeout { get; init; }

    /// <summary>Upstream statuses (500..599) that are retried when no request body was sent; default none.</summary>
    public IReadOnlyList<int>? OnStatuses { get; init; }

    /// <summary>Attempts in total, the first included (1 disables retries); default 2.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>The API is safe to retry whatever its method (e.g. a POST with an idempotency key).</summary>
    public bool? Retryable { get; init; }

    /// <summary>
    /// Service and global level only: retries may add at most this percentage of the service's requests in a
    /// sliding 10 s window; default 20.
    /// </summary>
    public double? BudgetPercent { get; init; }

    /// <summary>Service and global level only: retries per second always allowed, whatever the traffic; default 3.</summary>
    public int? MinRetriesPerSecond { get; init; }
}

/// <summary>
/// Circuit breaker (Resilience4j semantics): closed while the failure and slow-call ratios of a sliding time
/// window stay below their thresholds; open (requests answered 503 <c>circuit_open</c> without reaching a
/// node) for <see cref="OpenMs"/>; then half-open, admitting <see cref="HalfOpenProbes"/> calls whose outcome
/// closes or reopens it.
/// </summary>
public sealed record CircuitBreakerConfig
{
    /// <summary>Default true once a <c>circuitBreaker</c> block is given at any level; false turns it off.</summary>
    public bool? Enabled { get; init; }

    /// <summary>One breaker per API (default) or one per API and node.</summary>
    public CircuitBreakerScope? Scope { get; init; }

    /// <summary>Share of failed calls (0..1] in the window at which the breaker opens; default 0.5.</summary>
    public double? FailureRatio { get; init; }

    /// <summary>Share of slow calls (0..1] in the window at which the breaker opens; default 1 (only when every call is slow).</summary>
    public double? SlowCallRatio { get; init; }

    /// <summary>A call (one attempt, until the forwarder returns) taking at least this long is slow; default 5000.</summary>
    public int? SlowCallMs { get; init; }

    /// <summary>Calls the window must hold before the ratios are judged; default 20.</summary>
    public int? MinimumThroughput { get; init; }

    /// <summary>Length of the sliding window, kept as 10 time buckets; default 10000.</summary>
    public int? WindowMs { get; init; }

    /// <summary>How long the breaker stays open before probing; default 5000.</summary>
    public int? OpenMs { get; init; }

    /// <summary>Calls admitted while half-open; all must complete before it decides; default 3.</summary>
    public int? HalfOpenProbes { get; init; }

    /// <summary>Upstream statuses (500..599) that count as failures; default 502, 503, 504.</summary>
    public IReadOnlyList<int>? FailureStatuses { get; init; }
}

public enum CircuitBreakerScope
{
    /// <summary>One breaker for all nodes of the API: opening stops the API.</summary>
    Api,

    /// <summary>One breaker per node of the API: an open node is skipped while others remain.</summary>
    ApiNode,
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
