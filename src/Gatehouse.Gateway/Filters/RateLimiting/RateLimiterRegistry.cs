using System.Collections.Concurrent;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Filters.RateLimiting.Distributed;

namespace Gatehouse.Gateway.Filters.RateLimiting;

/// <summary>
/// Keeps limiters across config swaps: a reload that leaves a level's limit unchanged keeps its counters (a
/// reload must not hand every client a fresh budget); a changed or removed limit starts over or is dropped.
/// </summary>
internal sealed class RateLimiterRegistry
{
    private readonly ConcurrentDictionary<string, IRateLimiter> _limiters = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly RedisRateLimitBackend _redis;

    /// <param name="time">Clock of the local limiters.</param>
    /// <param name="redis">The shared store for limits with <c>store: redis</c>; none means those use their fallback.</param>
    public RateLimiterRegistry(TimeProvider time, RedisRateLimitBackend? redis = null)
    {
        _time = time;
        _redis = redis ?? RedisRateLimitBackend.None;
    }

    /// <param name="scope">The level: <c>global</c>, <c>service:NAME</c> or <c>api:SERVICE/ID</c>.</param>
    /// <param name="config">The limit at that level.</param>
    public IRateLimiter GetOrCreate(string scope, RateLimitConfig config)
    {
        var existing = _limiters.GetValueOrDefault(scope);
        if (existing is not null && existing.Config == config)
        {
            return existing;
        }

        IRateLimiter created = config.Store == RateLimitStore.Redis
            ? new RedisRateLimiter(scope, config, _redis, _time)
            : new KeyedRateLimiter(config, _time);
        _limiters[scope] = created;
        return created;
    }

    /// <summary>Drops limiters whose scope the published snapshot no longer uses.</summary>
    public void Retain(IReadOnlySet<string> scopes)
    {
        foreach (var scope in _limiters.Keys)
        {
            if (!scopes.Contains(scope))
            {
                _limiters.TryRemove(scope, out _);
            }
        }
    }

    /// <summary>Forgets idle per-key cells of every limiter; returns how many.</summary>
    public int Sweep()
    {
        var removed = 0;
        foreach (var limiter in _limiters.Values)
        {
            removed += limiter.Sweep();
        }

        return removed;
    }
}
