using Gatehouse.Gateway.Observability;

namespace Gatehouse.Gateway.ConfigSync;

/// <summary>
/// The per-API figures a heartbeat carries to the admin (docs/sync-protocol.md, "Statistics"): cumulative counters
/// since this process started, tagged with <see cref="StartId"/>. The admin turns consecutive reports into deltas;
/// a new start id tells it the counters began again from zero.
/// </summary>
/// <remarks>
/// Cumulative rather than deltas, so a lost or refused heartbeat loses nothing: the next one carries the sum.
/// Read on the heartbeat timer from the same cells the request path writes; never on the request path.
/// </remarks>
/// <param name="StartId">Random per process start.</param>
/// <param name="BoundsMs">Upper bounds of the latency buckets in milliseconds; <see cref="ApiStats.Latency"/> has one more (+Inf).</param>
/// <param name="Apis">APIs that have seen at least one request since start.</param>
internal sealed record HeartbeatStats(string StartId, double[] BoundsMs, IReadOnlyList<ApiStats> Apis)
{
    /// <summary>Bucket bounds in milliseconds, computed once.</summary>
    internal static readonly double[] LatencyBoundsMs = ToMilliseconds(LatencyHistogram.BoundsSeconds);

    /// <summary>Reads every API's cells (skipping APIs without traffic, to keep heartbeats small).</summary>
    public static HeartbeatStats Read(GatewayMetrics metrics, string startId)
    {
        var apis = new List<ApiStats>();
        foreach (var cells in metrics.Apis)
        {
            var requests = new long[ApiMetrics.StatusClasses];
            long total = 0;
            for (var i = 0; i < requests.Length; i++)
            {
                requests[i] = cells.Requests(i);
                total += requests[i];
            }

            if (total == 0)
            {
                continue;
            }

            var latency = new long[cells.Duration.BucketSlots];
            for (var i = 0; i < latency.Length; i++)
            {
                latency[i] = cells.Duration.BucketCount(i);
            }

            apis.Add(new ApiStats(cells.Service, cells.Api, requests, latency));
        }

        return new HeartbeatStats(startId, LatencyBoundsMs, apis);
    }

    private static double[] ToMilliseconds(double[] seconds)
    {
        var ms = new double[seconds.Length];
        for (var i = 0; i < seconds.Length; i++)
        {
            ms[i] = seconds[i] * 1000;
        }

        return ms;
    }
}

/// <summary>Cumulative figures of one API.</summary>
/// <param name="Requests">Finished requests per status class, 1xx..5xx.</param>
/// <param name="Latency">Requests per latency bucket (not cumulative across buckets), the last being +Inf.</param>
internal sealed record ApiStats(string Service, string Api, long[] Requests, long[] Latency);
