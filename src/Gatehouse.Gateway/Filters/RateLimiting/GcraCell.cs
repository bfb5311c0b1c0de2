using System.Diagnostics;

namespace Gatehouse.Gateway.Filters.RateLimiting;

/// <summary>
/// Token bucket as the generic cell rate algorithm (GCRA, ITU-T I.371): the whole state is one "theoretical
/// arrival time", so an acquire is one compare-and-swap on a long: exact, lock-free, and no refill timer.
/// </summary>
/// <remarks>
/// With emission interval T = window / limit and capacity B (burst), a request at time <c>now</c> is admitted
/// when max(TAT, now) + T − now ≤ B·T; admitting moves TAT to max(TAT, now) + T. After a quiet period B requests
/// pass at once, then one per T: a bucket of B tokens refilled at limit per window.
/// </remarks>
internal sealed class GcraCell
{
    private long _tat;

    /// <param name="now">Current timestamp.</param>
    /// <param name="interval">T, in timestamp units.</param>
    /// <param name="tolerance">B·T, in timestamp units.</param>
    public RateLimitDecision TryAcquire(long now, long interval, long tolerance)
    {
        Debug.Assert(interval > 0 && tolerance >= interval);
        while (true)
        {
            var tat = Volatile.Read(ref _tat);
            var newTat = Math.Max(tat, now) + interval;
            var ahead = newTat - now;
            if (ahead > tolerance)
            {
                return new RateLimitDecision(false, 0, ahead - tolerance);
            }

            if (Interlocked.CompareExchange(ref _tat, newTat, tat) == tat)
            {
                return new RateLimitDecision(true, (tolerance - ahead) / interval, 0);
            }
        }
    }

    /// <summary>True when the bucket is full again at <paramref name="now"/>: forgetting the cell changes nothing.</summary>
    public bool IsIdle(long now) => Volatile.Read(ref _tat) <= now;
}
