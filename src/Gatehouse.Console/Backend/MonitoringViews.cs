namespace Gatehouse.Console.Backend;

/// <summary>Figures of a set of traffic over a window, as <c>GET .../stats</c> writes them (rates in percent, latency in ms).</summary>
public sealed record StatsFiguresView(long Requests, double Qps, double ErrorRate5xx, double ErrorRate4xx, double? P50Ms, double? P95Ms,
    double? P99Ms)
{
    public static StatsFiguresView None { get; } = new(0, 0, 0, 0, null, null, null);

    /// <summary>Answers with a 5xx status, from the share the API reports.</summary>
    public long Errors5xx => (long)Math.Round(Requests * ErrorRate5xx / 100);

    /// <summary>Answers with a 4xx status.</summary>
    public long Errors4xx => (long)Math.Round(Requests * ErrorRate4xx / 100);
}

/// <summary><c>GET /api/v1/groups/{g}/stats</c>.</summary>
public sealed record StatsView(string Group, string Window, double WindowSeconds, DateTimeOffset To, StatsFiguresView Total,
    IReadOnlyList<NodeStatsView> Nodes, IReadOnlyList<ApiStatsView> Apis, IReadOnlyList<ServiceStatsView>? Services,
    IReadOnlyList<StatsPointView>? Series);

public sealed record NodeStatsView(string Node, StatsFiguresView Stats);

public sealed record ServiceStatsView(string Service, StatsFiguresView Stats);

public sealed record ApiStatsView(string Service, string Api, StatsFiguresView Stats, IReadOnlyList<NodeStatsView> Nodes);

public sealed record StatsPointView(DateTimeOffset From, DateTimeOffset To, StatsFiguresView Stats);

/// <summary>An alert rule as <c>GET .../alert-rules</c> lists it.</summary>
public sealed record AlertRuleView(string Id, string Name, string Kind, double Threshold, string Window, string? Service, string? Api,
    string? Node, long MinRequests, string For, string Cooldown, string WebhookUrl, bool Enabled, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>One alert of the history (<c>GET .../alerts</c>).</summary>
public sealed record AlertView(long Id, string RuleId, string RuleName, string Kind, string State, double Value, double Threshold,
    string Detail, DateTimeOffset FiredAt, DateTimeOffset? ResolvedAt, DateTimeOffset? NotifiedAt, DateTimeOffset? AckedAt, string? AckedBy);

/// <summary>Body of a rule create or replace: only the fields the kind uses are sent, so the API's defaults apply.</summary>
public sealed record AlertRuleBody(string? Name, string? Kind, double? Threshold, string? Window, string? Service, string? Api,
    string? Node, long? MinRequests, string? For, string? Cooldown, string? WebhookUrl, bool? Enabled);
