using System.Globalization;
using Gatehouse.Admin.Api;
using Gatehouse.Admin.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Admin.Monitoring;

/// <summary><c>GET /api/v1/groups/{group}/stats</c>: traffic figures from the gateways' heartbeats (docs/admin-api.md).</summary>
internal static class StatsEndpoints
{
    /// <summary>Maps the statistics endpoint under the API prefix.</summary>
    public static void Map(RouteGroupBuilder api) =>
        api.MapGet("/groups/{group}/stats", GetStatsAsync).WithTags("Statistics");

    /// <summary>Parses <c>30s</c>, <c>5m</c>, <c>1h</c> into a whole number of store slots; null with a message when invalid.</summary>
    internal static (int Slots, string? Error) ParseWindow(string? text, string fallback = "5m")
    {
        text = string.IsNullOrEmpty(text) ? fallback : text.Trim();
        var unit = text[^1];
        var seconds = unit switch { 's' => 1, 'm' => 60, 'h' => 3600, _ => 0 };
        if (seconds == 0 || !int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            return (0, "must be a number with a unit s, m or h, e.g. 5m");
        }

        var window = TimeSpan.FromSeconds((double)count * seconds);
        if (window < StatsStore.Resolution || window > StatsStore.Retention)
        {
            return (0, $"must be between {StatsStore.Resolution.TotalSeconds:0}s and {StatsStore.Retention.TotalMinutes:0}m (statistics are kept that long)");
        }

        // Rounded up to whole slots, so a window always covers at least what was asked.
        return ((int)Math.Ceiling(window / StatsStore.Resolution), null);
    }

    private static async Task<Results<Ok<GroupStatsResource>, ValidationProblem, ProblemHttpResult>> GetStatsAsync(
        string group, string? window, string? node, string? service, string? api, StatsStore store, AdminDbContext db, TimeProvider time,
        CancellationToken ct)
    {
        var (slots, error) = ParseWindow(window);
        if (error is not null)
        {
            return Problems.InvalidField("window", error);
        }

        if (!await db.Groups.AsNoTracking().AnyAsync(g => g.Name == group, ct))
        {
            return Problems.NotFound($"group '{group}' does not exist");
        }

        var cells = store.Query(group, slots, 0, Empty(node), Empty(service)?.ToLowerInvariant(), Empty(api));
        var seconds = slots * StatsStore.Resolution.TotalSeconds;
        var nodes = cells.GroupBy(c => c.Node, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new NodeStatsResource(g.Key, StatsFigures.From(g, seconds))).ToList();
        var apis = cells.GroupBy(c => (c.Service, c.Api)).OrderBy(g => g.Key.Service, StringComparer.Ordinal).ThenBy(g => g.Key.Api, StringComparer.Ordinal)
            .Select(g => new ApiStatsResource(g.Key.Service, g.Key.Api, StatsFigures.From(g, seconds),
                g.OrderBy(c => c.Node, StringComparer.Ordinal).Select(c => new NodeStatsResource(c.Node, StatsFigures.From([c], seconds))).ToList()))
            .ToList();
        return TypedResults.Ok(new GroupStatsResource(group, $"{seconds:0}s", seconds, time.GetUtcNow(), StatsFigures.From(cells, seconds), nodes, apis));
    }

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

/// <summary>Statistics of a group over a window ending at <see cref="To"/>: totals, per gateway node, per API (and its nodes).</summary>
internal sealed record GroupStatsResource(string Group, string Window, double WindowSeconds, DateTimeOffset To, StatsFigures Total,
    IReadOnlyList<NodeStatsResource> Nodes, IReadOnlyList<ApiStatsResource> Apis);

/// <summary>The figures of one gateway node.</summary>
internal sealed record NodeStatsResource(string Node, StatsFigures Stats);

/// <summary>The figures of one API over every node, and per node.</summary>
internal sealed record ApiStatsResource(string Service, string Api, StatsFigures Stats, IReadOnlyList<NodeStatsResource> Nodes);
