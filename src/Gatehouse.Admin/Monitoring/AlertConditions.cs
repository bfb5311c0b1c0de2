using System.Globalization;
using Gatehouse.Admin.Api;
using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Storage;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Admin.Monitoring;

/// <summary>What one evaluation of a rule measured: whether the condition holds, the value compared, and a note for people.</summary>
internal readonly record struct Measurement(bool Breached, double Value, string Detail);

/// <summary>Measures each kind of rule against the statistics store and the admin database.</summary>
internal sealed class AlertConditions(StatsStore stats, TimeProvider time)
{
    public async Task<Measurement> MeasureAsync(AlertRuleEntity rule, AdminDbContext db, TimeSpan gatewayLiveWindow, CancellationToken ct) =>
        rule.Kind switch
        {
            AlertKinds.ErrorRate or AlertKinds.P99Latency or AlertKinds.QpsDrop => MeasureTraffic(rule),
            AlertKinds.NodeUnhealthy => await MeasureExpiredNodesAsync(rule, db, ct),
            AlertKinds.GatewayNotConverged => await MeasureConvergenceAsync(rule, db, gatewayLiveWindow, ct),
            _ => new Measurement(false, 0, $"unknown kind '{rule.Kind}'"),
        };

    private Measurement MeasureTraffic(AlertRuleEntity rule)
    {
        var slots = Math.Max(1, (int)(rule.WindowSeconds / StatsStore.Resolution.TotalSeconds));
        var seconds = slots * StatsStore.Resolution.TotalSeconds;
        var now = StatsFigures.From(stats.Query(rule.Group, slots, 0, rule.Node, rule.Service, rule.Api), seconds);
        switch (rule.Kind)
        {
            case AlertKinds.ErrorRate:
                // Too few requests say nothing about a rate: one failure out of two is not a 50% outage.
                return now.Requests < rule.MinRequests
                    ? new Measurement(false, now.ErrorRate5xx, $"{now.Requests} requests, fewer than {rule.MinRequests}")
                    : new Measurement(now.ErrorRate5xx > rule.Threshold, now.ErrorRate5xx,
                        F($"{now.ErrorRate5xx:0.##}% 5xx of {now.Requests} requests in {AlertRuleValidator.Format((int)seconds)}"));
            case AlertKinds.P99Latency:
                var p99 = now.P99Ms ?? 0;
                return now.Requests < rule.MinRequests || now.P99Ms is null
                    ? new Measurement(false, p99, $"{now.Requests} requests, fewer than {rule.MinRequests}")
                    : new Measurement(p99 > rule.Threshold, p99, F($"p99 {p99:0.##} ms over {now.Requests} requests"));
            default:
                var before = StatsFigures.From(stats.Query(rule.Group, slots, slots, rule.Node, rule.Service, rule.Api), seconds);
                if (before.Requests == 0 || before.Requests < rule.MinRequests)
                {
                    return new Measurement(false, 0, $"{before.Requests} requests in the window before, fewer than {Math.Max(1, rule.MinRequests)}");
                }

                var drop = Math.Round((before.Qps - now.Qps) * 100 / before.Qps, 3);
                return new Measurement(drop > rule.Threshold, drop, F($"QPS {now.Qps:0.###} against {before.Qps:0.###} the window before ({drop:0.##}% drop)"));
        }
    }

    private static async Task<Measurement> MeasureExpiredNodesAsync(AlertRuleEntity rule, AdminDbContext db, CancellationToken ct)
    {
        var query = db.RegistryLeases.AsNoTracking().Where(l => l.Group == rule.Group && l.State == RegistryLeaseStates.Expired);
        if (rule.Service is not null)
        {
            query = query.Where(l => l.Service == rule.Service);
        }

        var expired = await query.OrderBy(l => l.Service).ThenBy(l => l.NodeId).Select(l => l.Service + "/" + l.NodeId).ToListAsync(ct);
        return new Measurement(expired.Count > rule.Threshold, expired.Count,
            expired.Count == 0 ? "no expired nodes" : "expired: " + string.Join(", ", expired.Take(20)));
    }

    private async Task<Measurement> MeasureConvergenceAsync(AlertRuleEntity rule, AdminDbContext db, TimeSpan liveWindow, CancellationToken ct)
    {
        var latest = await GroupEndpoints.LatestAsync(db, rule.Group, ct);
        if (latest is null)
        {
            return new Measurement(false, 0, "the group has no version");
        }

        var now = time.GetUtcNow();
        var liveSince = now - liveWindow;
        var gray = await GrayWriter.FindAsync(db, rule.Group, ct);
        // Filtered here: SQLite cannot compare DateTimeOffset columns in a query.
        var nodes = (await db.GatewayNodes.AsNoTracking().Where(n => n.Group == rule.Group).ToListAsync(ct)).Where(n => n.LastSeen >= liveSince);
        var lagging = new List<string>();
        foreach (var node in nodes)
        {
            // A node in the active gray config should run the gray version; the others the latest normal one. It only
            // counts as lagging once that version has been out for longer than the rule allows.
            var (expected, publishedAt) = gray is not null && gray.Nodes.Contains(node.Id)
                ? (gray.Version, gray.CreatedAt)
                : (latest.Version, latest.CreatedAt);
            if (node.Version < expected && now - publishedAt > TimeSpan.FromSeconds(rule.ForSeconds))
            {
                lagging.Add(F($"{node.Id} on {node.Version} (expected {expected})"));
            }
        }

        return new Measurement(lagging.Count > rule.Threshold, lagging.Count,
            lagging.Count == 0 ? "every live gateway is current" : "not converged: " + string.Join(", ", lagging.Take(20)));
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
