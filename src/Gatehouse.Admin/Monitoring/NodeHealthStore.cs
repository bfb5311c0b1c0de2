using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Monitoring;

/// <summary>One gateway's word on the nodes it holds unhealthy, as of its last heartbeat.</summary>
internal sealed record NodeHealthReport(DateTimeOffset At, IReadOnlyList<UnhealthyNodeReport> Unhealthy);

/// <summary>A node a gateway gives no traffic because its health checks failed; <c>state</c> is <c>unhealthy</c> or <c>ejected</c>.</summary>
internal sealed record UnhealthyNodeReport(string? Service, string? Node, string? State);

/// <summary>
/// The upstream nodes' health as the group's gateways report it with their heartbeats: per gateway, the latest list of
/// nodes it holds unhealthy. Kept in memory like the statistics: it is as fresh as the last heartbeat, and a restarted
/// admin knows it again within one heartbeat interval.
/// </summary>
/// <remarks>Each admin knows only the heartbeats it receives (as for statistics).</remarks>
internal sealed class NodeHealthStore(TimeProvider time, IOptions<AdminOptions> options)
{
    private readonly ConcurrentDictionary<(string Group, string Gateway), NodeHealthReport> _reports = new();

    /// <summary>Records a heartbeat's health part; a heartbeat without one (an older gateway) leaves no report.</summary>
    public void Ingest(string group, string gateway, IReadOnlyList<UnhealthyNodeReport>? unhealthy)
    {
        if (unhealthy is null)
        {
            return;
        }

        _reports[(group, gateway)] = new NodeHealthReport(time.GetUtcNow(), unhealthy);
    }

    /// <summary>
    /// For each gateway of <paramref name="group"/> that reported within the live window: its state of each node of
    /// <paramref name="service"/> it holds unhealthy (service names compare ignoring case, as gateways route them).
    /// </summary>
    public IReadOnlyList<(string Gateway, IReadOnlyDictionary<string, string> Unhealthy)> Reports(string group, string service)
    {
        var since = time.GetUtcNow() - options.Value.GatewayLiveWindow;
        var result = new List<(string, IReadOnlyDictionary<string, string>)>();
        foreach (var ((g, gateway), report) in _reports)
        {
            if (g != group || report.At < since)
            {
                continue;
            }

            var nodes = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var node in report.Unhealthy)
            {
                if (node.Node is not null && string.Equals(node.Service, service, StringComparison.OrdinalIgnoreCase))
                {
                    nodes[node.Node] = node.State ?? "unhealthy";
                }
            }

            result.Add((gateway, nodes));
        }

        result.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return result;
    }
}
