namespace Gatehouse.Admin.Monitoring;

/// <summary>The figures of a set of cells over a window: rates, error shares in percent, latency quantiles in ms.</summary>
/// <param name="ErrorRate5xx">Share of 5xx answers among all requests, in percent (0..100); 0 without requests.</param>
/// <param name="ErrorRate4xx">Share of 4xx answers, in percent, kept apart: client errors are usually not the gateway's fault.</param>
/// <param name="P50Ms">Median latency in ms from the merged buckets; null without requests.</param>
internal sealed record StatsFigures(long Requests, double Qps, double ErrorRate5xx, double ErrorRate4xx, double? P50Ms, double? P95Ms,
    double? P99Ms)
{
    /// <summary>Sums <paramref name="cells"/> and derives the figures; <paramref name="windowSeconds"/> divides the count into QPS.</summary>
    /// <remarks>
    /// Latency buckets are merged only between cells with the same bounds (every gateway of one release has the same
    /// ones); cells with other bounds still count in the rates but not in the quantiles.
    /// </remarks>
    public static StatsFigures From(IEnumerable<StatsCell> cells, double windowSeconds)
    {
        var requests = new long[StatsStore.StatusClasses];
        long[]? latency = null;
        double[]? bounds = null;
        foreach (var cell in cells)
        {
            for (var i = 0; i < requests.Length; i++)
            {
                requests[i] += cell.Requests[i];
            }

            if (bounds is null)
            {
                bounds = cell.BoundsMs;
                latency = new long[cell.Latency.Length];
            }

            if (cell.BoundsMs.AsSpan().SequenceEqual(bounds))
            {
                for (var i = 0; i < latency!.Length; i++)
                {
                    latency[i] += cell.Latency[i];
                }
            }
        }

        var total = requests.Sum();
        double Share(long part) => total == 0 ? 0 : Math.Round(part * 100.0 / total, 3);
        double? Quantile(double q) => latency is null ? null : LatencyQuantiles.Quantile(latency, bounds, q) is { } v ? Math.Round(v, 3) : null;
        return new StatsFigures(total, Math.Round(total / windowSeconds, 3), Share(requests[4]), Share(requests[3]),
            Quantile(0.50), Quantile(0.95), Quantile(0.99));
    }
}
