using Gatehouse.Core.Config;

namespace Gatehouse.Gateway.Filters.RateLimiting;

/// <summary>
/// One configured limit at one level, counted per key: locally (<see cref="KeyedRateLimiter"/>) or shared by all
/// gateways through Redis (<see cref="Distributed.RedisRateLimiter"/>).
/// </summary>
internal interface IRateLimiter
{
    RateLimitConfig Config { get; }

    /// <summary>Units of <see cref="RateLimitDecision.Wait"/> per second.</summary>
    long TimestampFrequency { get; }

    /// <summary>
    /// Counts one request for <paramref name="key"/> (empty: the level's shared counter). A local decision
    /// completes synchronously without allocating; a shared one awaits one Redis round trip.
    /// </summary>
    ValueTask<RateLimitDecision> AcquireAsync(ReadOnlySpan<char> key);

    /// <summary>Forgets per-key state that no longer matters; run off the request path.</summary>
    int Sweep();
}
