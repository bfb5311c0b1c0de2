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
        string group, string? window, string? step, string? node, string? service, string? api, StatsStore store, AdminDbContext db,
        TimeProvider time, CancellationToken ct)
    {
        var (slots, error) = ParseWindow(window);
        if (error is not null)
        {
            return Problems.InvalidField("window", error);
        }

        var stepSlots = 0;
        if (!string.IsNullOrEmpty(step))
        {
            (stepSlots, var stepError) = ParseWindow(step);
            if (stepError is null && stepSlots > slots)
            {
                stepError = "must not be longer than the window";
            }

            if (stepError is not null)
            {
                return Problems.InvalidField("step", stepError);
            }
        }

        if (!await db.Groups.AsNoTracking().AnyAsync(g => g.Name == group, ct))
        {
            return Problems.NotFound($"group '{group}' does not exist");
        }

        service = Empty(service)?.ToLowerInvariant();
        var now = time.GetUtcNow();
        var cells = store.Query(group, slots, 0, Empty(node), service, Empty(api));
        var seconds = slots * StatsStore.Resolution.TotalSeconds;
        var nodes = cells.GroupBy(c => c.Node, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new NodeStatsResource(g.Key, StatsFigures.From(g, seconds))).ToList();
        var services = cells.GroupBy(c => c.Service, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ServiceStatsResource(g.Key, StatsFigures.From(g, seconds))).ToList();
        var apis = cells.GroupBy(c => (c.Service, c.Api)).OrderBy(g => g.Key.Service, StringComparer.Ordinal).ThenBy(g => g.Key.Api, StringComparer.Ordinal)
            .Select(g => new ApiStatsResource(g.Key.Service, g.Key.Api, StatsFigures.From(g, seconds),
                g.OrderBy(c => c.Node, StringComparer.Ordinal).Select(c => new NodeStatsResource(c.Node, StatsFigures.From([c], seconds))).ToList()))
            .ToList();
        var series = stepSlots == 0 ? null : Series(store, group, slots, stepSlots, Empty(node), service, Empty(api));
        return TypedResults.Ok(new GroupStatsResource(group, $"{seconds:0}s", seconds, now, StatsFigures.From(cells, seconds), nodes, apis,
            services, series));
    }

    /// <summary>
    /// The window cut into steps for charts, oldest first, every step present (zero requests where there was no traffic).
    /// The steps end with the last complete slot: the slot being filled would show as a dip that is not there.
    /// </summary>
    private static List<StatsPointResource> Series(StatsStore store, string group, int slots, int stepSlots, string? node, string? service,
        string? api)
    {
        var steps = Math.Max(1, slots / stepSlots);
        var last = store.CurrentSlot - 1;
        var first = last - ((long)steps * stepSlots) + 1;
        var stepSeconds = stepSlots * StatsStore.Resolution.TotalSeconds;
        var byStep = store.QuerySteps(group, last, stepSlots, steps, node, service, api).ToLookup(c => c.Step, c => c.Cell);
        var points = new List<StatsPointResource>(steps);
        for (var i = 0; i < steps; i++)
        {
            var from = DateTimeOffset.FromUnixTimeMilliseconds((first + ((long)i * stepSlots)) * (long)StatsStore.Resolution.TotalMilliseconds);
            points.Add(new StatsPointResource(from, from + TimeSpan.FromSeconds(stepSeconds), StatsFigures.From(byStep[i], stepSeconds)));
        }

        return points;
    }

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

/// <summary>
/// Statistics of a group over a window ending at <see cref="To"/>: totals, per gateway node, per API (and its nodes), per
/// service; with <c>?step=</c> also <see cref="Series"/>, the totals step by step (null without it).
/// </summary>
internal sealed record GroupStatsResource(string Group, string Window, double WindowSeconds, DateTimeOffset To, StatsFigures Total,
    IReadOnlyList<NodeStatsResource> Nodes, IReadOnlyList<ApiStatsResource> Apis, IReadOnlyList<ServiceStatsResource> Services,
    IReadOnlyList<StatsPointResource>? Series);

/// <summary>The figures of one service over all its APIs and nodes.</summary>
internal sealed record ServiceStatsResource(string Service, StatsFigures Stats);

/// <summary>One step of a series: the figures of [<see cref="From"/>, <see cref="To"/>), QPS per second of the step.</summary>
internal sealed record StatsPointResource(DateTimeOffset From, DateTimeOffset To, StatsFigures Stats);

/// <summary>The figures of one gateway node.</summary>
internal sealed record NodeStatsResource(string Node, StatsFigures Stats);

/// <summary>The figures of one API over every node, and per node.</summary>
internal sealed record ApiStatsResource(string Service, string Api, StatsFigures Stats, IReadOnlyList<NodeStatsResource> Nodes);
