namespace Gatehouse.Admin.Monitoring;

/// <summary>Quantiles from bucketed latency counts, the way Prometheus's <c>histogram_quantile</c> estimates them.</summary>
internal static class LatencyQuantiles
{
    /// <summary>
    /// The <paramref name="q"/> quantile (0..1) of <paramref name="counts"/> (per bucket, not cumulative; the last
    /// slot is +Inf) with upper bounds <paramref name="boundsMs"/>; null when there are no observations.
    /// </summary>
    /// <remarks>
    /// Linear interpolation inside the bucket that holds the rank, the lower edge of the first bucket being 0. A rank
    /// in the +Inf bucket answers the highest finite bound: the histogram cannot say more, and a made-up larger number
    /// would look precise. So a p99 is never more accurate than the bucket widths (0.5 ms .. 10 s, ×2–2.5 apart).
    /// </remarks>
    public static double? Quantile(ReadOnlySpan<long> counts, ReadOnlySpan<double> boundsMs, double q)
    {
        long total = 0;
        foreach (var c in counts)
        {
            total += c;
        }

        if (total == 0 || boundsMs.Length == 0)
        {
            return null;
        }

        var rank = q * total;
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            var inBucket = counts[i];
            if (inBucket > 0 && seen + inBucket >= rank)
            {
                if (i >= boundsMs.Length)
                {
                    return boundsMs[^1];
                }

                var lower = i == 0 ? 0 : boundsMs[i - 1];
                var upper = boundsMs[i];
                return lower + ((upper - lower) * ((rank - seen) / inBucket));
            }

            seen += inBucket;
        }

        return boundsMs[^1];
    }
}
