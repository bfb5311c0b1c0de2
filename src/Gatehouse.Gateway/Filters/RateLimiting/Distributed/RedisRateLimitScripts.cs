using Gatehouse.Redis;

namespace Gatehouse.Gateway.Filters.RateLimiting.Distributed;

/// <summary>
/// The shared limiters as Lua scripts: Redis runs a script atomically, so the read-decide-write of every gateway
/// is one indivisible step and no two gateways can spend the same token. Both read the server's clock
/// (<c>TIME</c>), so gateways with skewed clocks still agree. Times are microseconds (exact in Lua's doubles
/// until the year 2255). Both return <c>{allowed, remaining, wait_us}</c>, the same triple as the local cells.
/// </summary>
internal static class RedisRateLimitScripts
{
    /// <summary>
    /// GCRA as in <see cref="GcraCell"/>: one key holds the theoretical arrival time. ARGV: interval T and
    /// tolerance B·T in µs. The key expires when the bucket is full again, so idle keys cost nothing.
    /// </summary>
    public static readonly RedisScript TokenBucket = new("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local interval = tonumber(ARGV[1])
        local tolerance = tonumber(ARGV[2])
        local tat = tonumber(redis.call('GET', KEYS[1]))
        if not tat or tat < now then tat = now end
        local new_tat = tat + interval
        local ahead = new_tat - now
        if ahead > tolerance then
          return {0, 0, ahead - tolerance}
        end
        redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil(ahead / 1000) + 1)
        return {1, math.floor((tolerance - ahead) / interval), 0}
        """);

    /// <summary>
    /// Sliding window counter as in <see cref="SlidingWindowCell"/>: one counter key per window
    /// (<c>KEY:index</c>), the previous one weighted by its remaining overlap. ARGV: window in µs, limit.
    /// Counters live two windows, the longest they are read.
    /// </summary>
    public static readonly RedisScript SlidingWindow = new("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local window = tonumber(ARGV[1])
        local limit = tonumber(ARGV[2])
        local index = math.floor(now / window)
        local elapsed = (now % window) / window
        local current_key = KEYS[1] .. ':' .. string.format('%.0f', index)
        local previous = tonumber(redis.call('GET', KEYS[1] .. ':' .. string.format('%.0f', index - 1))) or 0
        local current = tonumber(redis.call('GET', current_key)) or 0
        local estimate = previous * (1 - elapsed) + current
        if estimate >= limit then
          local wait
          if current >= limit then
            wait = (1 - elapsed + math.max(0, 1 - limit / current)) * window + 1
          else
            wait = math.max(0, (1 - (limit - current) / previous) - elapsed) * window + 1
          end
          return {0, 0, math.floor(wait)}
        end
        redis.call('INCR', current_key)
        redis.call('PEXPIRE', current_key, math.ceil(2 * window / 1000) + 1000)
        return {1, math.floor(limit - estimate - 1), 0}
        """);
}
