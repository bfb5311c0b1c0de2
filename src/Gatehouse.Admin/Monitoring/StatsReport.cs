namespace Gatehouse.Admin.Monitoring;

/// <summary>
/// The <c>stats</c> member of a gateway heartbeat: cumulative per-API counters since the gateway process started
/// (<see cref="StartId"/>), see docs/sync-protocol.md.
/// </summary>
/// <param name="BoundsMs">Latency bucket upper bounds in milliseconds; each API's latency array has one more slot (+Inf).</param>
internal sealed record StatsReport(string? StartId, double[]? BoundsMs, IReadOnlyList<ApiStatsReport>? Apis);

/// <summary>One API's cumulative figures: requests per status class 1xx..5xx, requests per latency bucket.</summary>
internal sealed record ApiStatsReport(string? Service, string? Api, long[]? Requests, long[]? Latency);
