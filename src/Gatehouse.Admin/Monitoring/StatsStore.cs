using System.Collections.Concurrent;

namespace Gatehouse.Admin.Monitoring;

/// <summary>
/// Rolling in-memory statistics per (group, gateway node, service, API): the last <see cref="Retention"/> at
/// <see cref="Resolution"/>, fed by the cumulative counters gateways put in their heartbeats.
/// </summary>
/// <remarks>
/// Not persisted: an admin restart starts with an empty window, and with several admins each one holds what the
/// heartbeats it received carried (docs/architecture.md, "Statistics"). A heartbeat's increase over the previous
/// report of the same process is booked into the slot of the moment it arrived, so figures are as fine as the
/// gateways' heartbeat interval (5 s by default), never finer than <see cref="Resolution"/>.
/// </remarks>
internal sealed class StatsStore(TimeProvider time)
{
    /// <summary>Width of one slot.</summary>
    public static readonly TimeSpan Resolution = TimeSpan.FromSeconds(10);

    /// <summary>How far back the store answers; older slots are overwritten.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromMinutes(15);

    /// <summary>Slots kept per API: the retention plus the slot being filled.</summary>
    internal static readonly int SlotCount = (int)(Retention / Resolution) + 1;

    /// <summary>Status classes 1xx..5xx, as the gateway counts them.</summary>
    public const int StatusClasses = 5;

    private readonly ConcurrentDictionary<(string Group, string Node), NodeSeries> _nodes = new();

    /// <summary>Current slot number (slots since the Unix epoch).</summary>
    public long CurrentSlot => time.GetUtcNow().ToUnixTimeMilliseconds() / (long)Resolution.TotalMilliseconds;

    /// <summary>Books one heartbeat's statistics; malformed entries are skipped (the heartbeat itself still counts).</summary>
    public void Ingest(string group, string node, StatsReport? report)
    {
        if (report?.Apis is null || string.IsNullOrEmpty(report.StartId) || report.BoundsMs is not { Length: > 0 } bounds)
        {
            return;
        }

        var series = _nodes.GetOrAdd((group, node), static _ => new NodeSeries());
        series.Ingest(report.StartId, bounds, report.Apis, CurrentSlot);
        ForgetSilentNodes();
    }

    /// <summary>
    /// Sums per (node, service, API) over the <paramref name="slots"/> slots that end <paramref name="endOffset"/> slots
    /// before the current one (0: the window ending now). Filters are exact matches; null matches all.
    /// </summary>
    public List<StatsCell> Query(string group, int slots, int endOffset = 0, string? node = null, string? service = null, string? api = null)
    {
        var last = CurrentSlot - endOffset;
        var first = last - slots + 1;
        var cells = new List<StatsCell>();
        foreach (var ((g, n), series) in _nodes)
        {
            if (g == group && (node is null || n == node))
            {
                series.Collect(n, first, last, service, api, cells);
            }
        }

        return cells;
    }

    /// <summary>
    /// Sums per (gateway node, step) over the <paramref name="steps"/> consecutive steps of <paramref name="stepSlots"/>
    /// slots each that end with slot <paramref name="lastSlot"/>, for charts: one pass over the rings instead of one query per point.
    /// </summary>
    /// <returns>Cells keyed by step index (0 is the oldest); steps without traffic have no cell.</returns>
    public List<(int Step, StatsCell Cell)> QuerySteps(string group, long lastSlot, int stepSlots, int steps, string? node = null,
        string? service = null, string? api = null)
    {
        var first = lastSlot - ((long)stepSlots * steps) + 1;
        var cells = new List<(int, StatsCell)>();
        foreach (var ((g, n), series) in _nodes)
        {
            if (g == group && (node is null || n == node))
            {
                series.CollectSteps(n, first, stepSlots, steps, service, api, cells);
            }
        }

        return cells;
    }

    /// <summary>Gateway nodes of the group with statistics in the store.</summary>
    public IEnumerable<string> Nodes(string group) => _nodes.Keys.Where(k => k.Group == group).Select(k => k.Node);

    private void ForgetSilentNodes()
    {
        // A node silent for the whole retention has nothing left to show; dropping it bounds memory when ids churn.
        var oldest = CurrentSlot - SlotCount;
        foreach (var (key, series) in _nodes)
        {
            if (series.LastSlot < oldest)
            {
                _nodes.TryRemove(key, out _);
            }
        }
    }

    /// <summary>One gateway node: the previous report per API (to take differences) and a ring of slots per API.</summary>
    private sealed class NodeSeries
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<(string Service, string Api), ApiSeries> _apis = new();
        private string? _startId;
        private double[] _bounds = [];

        public long LastSlot { get; private set; }

        public void Ingest(string startId, double[] bounds, IReadOnlyList<ApiStatsReport> apis, long slot)
        {
            lock (_lock)
            {
                // First report this admin sees of the node: only a baseline, since its counters may cover hours the
                // admin never saw. A new start id after that: the process restarted and everything it counted is new.
                var known = _startId is not null;
                var restarted = known && _startId != startId;
                if (restarted || !bounds.AsSpan().SequenceEqual(_bounds))
                {
                    foreach (var series in _apis.Values)
                    {
                        series.Previous = null;
                    }
                }

                _startId = startId;
                _bounds = bounds;
                LastSlot = slot;
                foreach (var report in apis)
                {
                    if (string.IsNullOrEmpty(report.Service) || report.Api is null
                        || report.Requests is not { Length: StatusClasses } || report.Latency is not { } latency
                        || latency.Length != bounds.Length + 1)
                    {
                        continue;
                    }

                    var key = (report.Service, report.Api);
                    if (!_apis.TryGetValue(key, out var series))
                    {
                        series = new ApiSeries(bounds.Length + 1);
                        _apis.Add(key, series);
                    }

                    series.Book(report.Requests, latency, slot, countAllAsNew: known);
                }
            }
        }

        public void Collect(string node, long first, long last, string? service, string? api, List<StatsCell> into)
        {
            lock (_lock)
            {
                foreach (var ((s, a), series) in _apis)
                {
                    if ((service is null || s == service) && (api is null || a == api)
                        && series.Sum(first, last, _bounds) is { } cell)
                    {
                        into.Add(cell with { Node = node, Service = s, Api = a });
                    }
                }
            }
        }

        public void CollectSteps(string node, long first, int stepSlots, int steps, string? service, string? api, List<(int, StatsCell)> into)
        {
            lock (_lock)
            {
                // One node's APIs share its bounds, so their latency buckets add up per step.
                var sums = new long[]?[steps];
                foreach (var ((s, a), series) in _apis)
                {
                    if ((service is null || s == service) && (api is null || a == api))
                    {
                        series.AddSteps(first, stepSlots, sums);
                    }
                }

                for (var i = 0; i < steps; i++)
                {
                    if (sums[i] is { } sum)
                    {
                        into.Add((i, new StatsCell(node, "", "", sum[..StatusClasses], sum[StatusClasses..], _bounds)));
                    }
                }
            }
        }
    }

    /// <summary>One API of one node: per slot, requests per status class followed by latency bucket counts.</summary>
    private sealed class ApiSeries(int latencySlots)
    {
        private readonly long[] _slotNumbers = new long[SlotCount];
        private readonly long[]?[] _slots = new long[]?[SlotCount];

        /// <summary>The last cumulative report (requests then latency), null when the next report is a baseline or all new.</summary>
        public long[]? Previous { get; set; }

        public void Book(long[] requests, long[] latency, long slot, bool countAllAsNew)
        {
            var current = new long[StatusClasses + latencySlots];
            requests.CopyTo(current, 0);
            latency.CopyTo(current, StatusClasses);
            var previous = Previous;
            Previous = current;
            if (previous is null && !countAllAsNew)
            {
                return;
            }

            // A counter that went down means the gateway re-created the API's cells (removed and re-added): start from zero.
            if (previous is not null)
            {
                for (var i = 0; i < current.Length; i++)
                {
                    if (current[i] < previous[i])
                    {
                        previous = null;
                        break;
                    }
                }
            }

            var index = (int)(slot % SlotCount);
            if (_slots[index] is not { } bucket || _slotNumbers[index] != slot)
            {
                bucket = new long[current.Length];
                _slots[index] = bucket;
                _slotNumbers[index] = slot;
            }

            for (var i = 0; i < current.Length; i++)
            {
                bucket[i] += current[i] - (previous?[i] ?? 0);
            }
        }

        public StatsCell? Sum(long first, long last, double[] bounds)
        {
            long[]? sum = null;
            for (var i = 0; i < SlotCount; i++)
            {
                if (_slots[i] is { } bucket && _slotNumbers[i] >= first && _slotNumbers[i] <= last)
                {
                    sum ??= new long[bucket.Length];
                    for (var j = 0; j < bucket.Length; j++)
                    {
                        sum[j] += bucket[j];
                    }
                }
            }

            return sum is null ? null : new StatsCell("", "", "", sum[..StatusClasses], sum[StatusClasses..], bounds);
        }

        /// <summary>Adds each slot from <paramref name="first"/> on into <paramref name="sums"/>[(slot - first) / stepSlots].</summary>
        public void AddSteps(long first, int stepSlots, long[]?[] sums)
        {
            var last = first + ((long)stepSlots * sums.Length) - 1;
            for (var i = 0; i < SlotCount; i++)
            {
                if (_slots[i] is { } bucket && _slotNumbers[i] >= first && _slotNumbers[i] <= last)
                {
                    var sum = sums[(int)((_slotNumbers[i] - first) / stepSlots)] ??= new long[bucket.Length];
                    if (sum.Length != bucket.Length)
                    {
                        // Bounds changed within the window (a gateway upgrade): the older slots cannot be merged.
                        continue;
                    }

                    for (var j = 0; j < bucket.Length; j++)
                    {
                        sum[j] += bucket[j];
                    }
                }
            }
        }
    }
}

/// <summary>Sums of one (node, service, API) over a window: requests per status class and per latency bucket.</summary>
internal sealed record StatsCell(string Node, string Service, string Api, long[] Requests, long[] Latency, double[] BoundsMs);
