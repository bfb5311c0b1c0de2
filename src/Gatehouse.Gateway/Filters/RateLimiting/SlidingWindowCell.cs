using System.Diagnostics;

namespace Gatehouse.Gateway.Filters.RateLimiting;

/// <summary>
/// Sliding window counter: the estimate is <c>previous · (1 − elapsed fraction of the current window) + current</c>,
/// the approach nginx-style and CDN limiters use to avoid fixed-window bursts at window edges without storing
/// request times. The state (window index, previous count, current count) is packed into one long, so an
/// acquire is one compare-and-swap.
/// </summary>
/// <remarks>Counts take 20 bits each, hence the validator's 1,000,000 limit; the window index keeps its low 24 bits.</remarks>
internal sealed class SlidingWindowCell
{
    private const int CountBits = 20;
    private const long CountMask = (1L << CountBits) - 1;
    private const long WindowMask = (1L << 24) - 1;

    private long _state;

    public RateLimitDecision TryAcquire(long now, long window, int limit)
    {
        Debug.Assert(window > 0 && limit is > 0 and <= (int)CountMask);
        var index = now / window & WindowMask;
        var elapsed = (double)(now % window) / window;
        while (true)
        {
            var state = Volatile.Read(ref _state);
            var storedIndex = state >> (2 * CountBits);
            long previous, current;
            if (storedIndex == index)
            {
                previous = state >> CountBits & CountMask;
                current = state & CountMask;
            }
            else if ((storedIndex + 1 & WindowMask) == index)
            {
                previous = state & CountMask;
                current = 0;
            }
            else
            {
                previous = 0;
                current = 0;
            }

            // Admit while the estimate is below the limit: from a clean start that is exactly `limit` requests,
            // and in steady overload each window admits `limit` as the weighted previous count fades.
            var estimate = previous * (1 - elapsed) + current;
            if (estimate >= limit)
            {
                return new RateLimitDecision(false, 0, WaitFor(previous, current, limit, elapsed, window));
            }

            var next = index << (2 * CountBits) | previous << CountBits | current + 1;
            if (Interlocked.CompareExchange(ref _state, next, state) == state)
            {
                return new RateLimitDecision(true, Math.Max(0, (long)(limit - estimate - 1)), 0);
            }
        }
    }

    /// <summary>True when neither the current nor the previous window holds counts at <paramref name="now"/>.</summary>
    public bool IsIdle(long now, long window)
    {
        var storedIndex = Volatile.Read(ref _state) >> (2 * CountBits);
        var index = now / window & WindowMask;
        return storedIndex != index && (storedIndex + 1 & WindowMask) != index;
    }

    /// <summary>Time until the weighted estimate leaves room for one more request.</summary>
    private static long WaitFor(long previous, long current, int limit, double elapsed, long window)
    {
        if (current >= limit)
        {
            // Only the next window can help; there the current count becomes the weighted previous one:
            // current · (1 − f) < limit  ⇔  f > 1 − limit / current.
            var fractionNeeded = 1 - (double)limit / current;
            return (long)((1 - elapsed + Math.Max(0, fractionNeeded)) * window) + 1;
        }

        // previous · (1 − f) + current < limit  ⇔  f > 1 − (limit − current) / previous
        var fraction = 1 - (double)(limit - current) / previous;
        return (long)(Math.Max(0, fraction - elapsed) * window) + 1;
    }
}
