using System.Diagnostics;

namespace Gatehouse.Gateway.Observability;

/// <summary>
/// A fixed-bucket latency histogram recorded with two interlocked adds and no allocation. Bucket bounds are
/// precomputed in <see cref="Stopwatch"/> ticks, so recording compares integers and never converts to seconds.
/// </summary>
/// <remarks>
/// Counts are kept per bucket (not cumulative); the exposition sums them into Prometheus's cumulative
/// <c>le</c> buckets. Reads are not atomic across buckets: a scrape racing a record may see the bucket without
/// the sum, which Prometheus tolerates (the next scrape is consistent again); counts never go backwards.
/// </remarks>
internal sealed class LatencyHistogram
{
    /// <summary>
    /// Upper bounds in seconds, 0.5 ms to 10 s: gateway overhead sits in the first buckets, upstream latency
    /// in the middle, timeouts in the last. Prometheus's client defaults start at 5 ms, too coarse for a proxy.
    /// </summary>
    public static readonly double[] BoundsSeconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly long[] BoundsTicks = ToTicks(BoundsSeconds);

    // One slot per bound plus +Inf.
    private readonly long[] _counts = new long[BoundsSeconds.Length + 1];
    private long _sumTicks;

    /// <summary>Records one observation of <paramref name="elapsedTicks"/> Stopwatch ticks.</summary>
    public void Record(long elapsedTicks)
    {
        var bounds = BoundsTicks;
        var i = 0;
        // Linear: 14 compares at most, and most requests stop in the first few buckets.
        while (i < bounds.Length && elapsedTicks > bounds[i])
        {
            i++;
        }

        Interlocked.Increment(ref _counts[i]);
        Interlocked.Add(ref _sumTicks, elapsedTicks);
    }

    /// <summary>Observations in bucket <paramref name="index"/> alone (not cumulative); the last is +Inf.</summary>
    public long BucketCount(int index) => Volatile.Read(ref _counts[index]);

    public int BucketSlots => _counts.Length;

    /// <summary>Total of all observations, in seconds.</summary>
    public double SumSeconds => (double)Volatile.Read(ref _sumTicks) / Stopwatch.Frequency;

    /// <summary>Number of observations (sum of every bucket).</summary>
    public long Count
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _counts.Length; i++)
            {
                total += Volatile.Read(ref _counts[i]);
            }

            return total;
        }
    }

    private static long[] ToTicks(double[] seconds)
    {
        var ticks = new long[seconds.Length];
        for (var i = 0; i < seconds.Length; i++)
        {
            ticks[i] = (long)(seconds[i] * Stopwatch.Frequency);
        }

        return ticks;
    }
}
