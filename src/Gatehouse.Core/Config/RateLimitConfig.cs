namespace Gatehouse.Core.Config;

/// <summary>
/// A request rate limit: at most <see cref="Limit"/> requests per <see cref="WindowMs"/> per key, counted by each
/// gateway on its own (<see cref="RateLimitStore.Local"/>) or shared by all gateways through Redis.
/// </summary>
[StackedPolicy]
public sealed record RateLimitConfig
{
    public RateLimitAlgorithm Algorithm { get; init; } = RateLimitAlgorithm.TokenBucket;

    /// <summary>Requests admitted per window (the sustained rate is Limit / window).</summary>
    public int Limit { get; init; }

    /// <summary>Window length in milliseconds; default one second.</summary>
    public int WindowMs { get; init; } = 1000;

    /// <summary>Token bucket only: how many requests may arrive at once after a quiet period; default <see cref="Limit"/>.</summary>
    public int? Burst { get; init; }

    /// <summary>What a limit is counted per; default one shared counter.</summary>
    public RateLimitKeyConfig? Key { get; init; }

    /// <summary>Where the counters live; default <see cref="RateLimitStore.Local"/>.</summary>
    public RateLimitStore Store { get; init; } = RateLimitStore.Local;

    /// <summary>With <see cref="RateLimitStore.Redis"/>: what happens while Redis cannot be reached; default <see cref="RateLimitFallback.Local"/>.</summary>
    public RateLimitFallback Fallback { get; init; } = RateLimitFallback.Local;
}

public enum RateLimitStore
{
    /// <summary>Each gateway counts on its own: N gateways admit up to N × limit together.</summary>
    Local,

    /// <summary>All gateways share one count in Redis (atomic Lua scripts): the limit holds for the whole group.</summary>
    Redis,
}

/// <summary>What a Redis-backed limit does while Redis is unreachable or too slow.</summary>
public enum RateLimitFallback
{
    /// <summary>Count locally with the limit divided by the known gateway count, so the group stays near the limit.</summary>
    Local,

    /// <summary>Admit every request: availability over protection.</summary>
    FailOpen,

    /// <summary>Refuse every request with 429 <c>rate_limited</c>: protection over availability.</summary>
    FailClosed,
}

public sealed record RateLimitKeyConfig
{
    public RateLimitKeySource Source { get; init; } = RateLimitKeySource.None;

    /// <summary>Header name for <see cref="RateLimitKeySource.Header"/>; optional header name for <see cref="RateLimitKeySource.AppKey"/> (default <c>appKey</c>).</summary>
    public string? Name { get; init; }
}

public enum RateLimitAlgorithm
{
    /// <summary>Token bucket (as GCRA): a steady rate with bursts up to <see cref="RateLimitConfig.Burst"/>.</summary>
    TokenBucket,

    /// <summary>Sliding window counter: the previous window's count weighted by how much of it still overlaps.</summary>
    SlidingWindow,
}

public enum RateLimitKeySource
{
    /// <summary>One counter for all requests at this level.</summary>
    None,
    ClientIp,
    Header,
    /// <summary>The caller's application key, from the <c>appKey</c> header (or the header named by <c>name</c>).</summary>
    AppKey,
}
