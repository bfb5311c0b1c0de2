using System.Globalization;
using Gatehouse.Admin.Storage;

namespace Gatehouse.Admin.Monitoring;

/// <summary>The kinds of alert rule (docs/admin-api.md, "Alerts").</summary>
internal static class AlertKinds
{
    /// <summary>5xx share over <c>threshold</c> percent in the window (with at least <c>minRequests</c>).</summary>
    public const string ErrorRate = "errorRate";

    /// <summary>p99 latency over <c>threshold</c> ms in the window (with at least <c>minRequests</c>).</summary>
    public const string P99Latency = "p99Latency";

    /// <summary>QPS fell by more than <c>threshold</c> percent against the window before.</summary>
    public const string QpsDrop = "qpsDrop";

    /// <summary>More than <c>threshold</c> registry nodes (of <c>service</c>, if given) are expired: missed their heartbeats.</summary>
    public const string NodeUnhealthy = "nodeUnhealthy";

    /// <summary>More than <c>threshold</c> live gateways are not on the version they should run, <c>for</c> after it was published.</summary>
    public const string GatewayNotConverged = "gatewayNotConverged";

    public static readonly string[] All = [ErrorRate, P99Latency, QpsDrop, NodeUnhealthy, GatewayNotConverged];

    /// <summary>Kinds measured from gateway statistics (they use window, filters and minimum requests).</summary>
    public static bool IsTraffic(string kind) => kind is ErrorRate or P99Latency or QpsDrop;
}

/// <summary>States of an alert in the history.</summary>
internal static class AlertStates
{
    public const string Firing = "firing";
    public const string Resolved = "resolved";
}

/// <summary>Body of a rule create or replace; durations as <c>30s</c>, <c>5m</c>, <c>1h</c>.</summary>
internal sealed record AlertRuleRequest(string? Name, string? Kind, double? Threshold, string? Window, string? Service, string? Api,
    string? Node, long? MinRequests, string? For, string? Cooldown, string? WebhookUrl, bool? Enabled);

/// <summary>A stored rule as the API shows it.</summary>
internal sealed record AlertRuleResource(string Id, string Name, string Kind, double Threshold, string Window, string? Service, string? Api,
    string? Node, long MinRequests, string For, string Cooldown, string WebhookUrl, bool Enabled, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static AlertRuleResource From(AlertRuleEntity e) => new(e.Id, e.Name, e.Kind, e.Threshold, AlertRuleValidator.Format(e.WindowSeconds),
        e.Service, e.Api, e.Node, e.MinRequests, AlertRuleValidator.Format(e.ForSeconds), AlertRuleValidator.Format(e.CooldownSeconds),
        e.WebhookUrl, e.Enabled, e.CreatedAt, e.UpdatedAt);
}

/// <summary>One alert of the history.</summary>
internal sealed record AlertResource(long Id, string RuleId, string RuleName, string Kind, string State, double Value, double Threshold,
    string Detail, DateTimeOffset FiredAt, DateTimeOffset? ResolvedAt, DateTimeOffset? NotifiedAt, DateTimeOffset? AckedAt, string? AckedBy)
{
    public static AlertResource From(AlertEntity e) => new(e.Id, e.RuleId, e.RuleName, e.Kind, e.State, e.Value, e.Threshold, e.Detail,
        e.FiredAt, e.ResolvedAt, e.NotifiedAt, e.AckedAt, e.AckedBy);
}

/// <summary>Checks a rule body and collects every problem keyed by field name; fills defaults.</summary>
internal static class AlertRuleValidator
{
    private const int MaxDurationSeconds = 86_400;

    /// <summary>Validates <paramref name="body"/> into <paramref name="rule"/>; returns the errors (empty when valid).</summary>
    public static Dictionary<string, string[]> Apply(AlertRuleRequest? body, AlertRuleEntity rule)
    {
        var errors = new Dictionary<string, List<string>>();
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list))
            {
                errors[field] = list = [];
            }

            list.Add(message);
        }

        if (body is null)
        {
            return new Dictionary<string, string[]> { ["body"] = ["a rule object is required"] };
        }

        if (string.IsNullOrWhiteSpace(body.Name))
        {
            Add("name", "the name is required");
        }
        else if (body.Name.Length > 200)
        {
            Add("name", "at most 200 characters");
        }

        var kind = body.Kind ?? "";
        if (!AlertKinds.All.Contains(kind, StringComparer.Ordinal))
        {
            Add("kind", $"must be one of {string.Join(", ", AlertKinds.All)}");
        }

        var traffic = AlertKinds.IsTraffic(kind);
        var threshold = body.Threshold ?? (traffic ? double.NaN : 0);
        if (double.IsNaN(threshold))
        {
            Add("threshold", "the threshold is required");
        }
        else if (kind is AlertKinds.ErrorRate or AlertKinds.QpsDrop && threshold is < 0 or > 100)
        {
            Add("threshold", "a percentage between 0 and 100");
        }
        else if (threshold < 0 || double.IsInfinity(threshold))
        {
            Add("threshold", "must be zero or more");
        }

        var windowSlots = 0;
        if (traffic)
        {
            (windowSlots, var windowError) = StatsEndpoints.ParseWindow(body.Window);
            if (windowError is not null)
            {
                Add("window", windowError);
            }
            else if (kind == AlertKinds.QpsDrop && windowSlots * 2 > StatsStore.SlotCount - 1)
            {
                Add("window", $"qpsDrop compares two windows, so at most {StatsStore.Retention.TotalMinutes / 2:0.#}m");
            }
        }
        else if (AlertKinds.All.Contains(kind, StringComparer.Ordinal)
            && (body.Window is not null || body.Api is not null || body.Node is not null || body.MinRequests is not null))
        {
            var field = body.Window is not null ? "window" : body.Api is not null ? "api" : body.Node is not null ? "node" : "minRequests";
            Add(field, $"not used by kind {kind}");
        }

        if (body.Api is not null && string.IsNullOrEmpty(body.Service))
        {
            Add("api", "an API filter needs the service too");
        }

        if (body.MinRequests is < 0)
        {
            Add("minRequests", "must be zero or more");
        }

        var forSeconds = Duration(body.For, kind == AlertKinds.GatewayNotConverged ? 60 : 0, "for", Add);
        if (body.For is not null && kind != AlertKinds.GatewayNotConverged)
        {
            Add("for", $"only used by kind {AlertKinds.GatewayNotConverged}");
        }

        var cooldown = Duration(body.Cooldown, 300, "cooldown", Add);
        if (string.IsNullOrWhiteSpace(body.WebhookUrl))
        {
            Add("webhookUrl", "the webhook URL is required");
        }
        else if (!Uri.TryCreate(body.WebhookUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            Add("webhookUrl", "must be an absolute http or https URL");
        }

        if (errors.Count > 0)
        {
            return errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
        }

        rule.Name = body.Name!.Trim();
        rule.Kind = kind;
        rule.Threshold = threshold;
        rule.WindowSeconds = (int)(windowSlots * StatsStore.Resolution.TotalSeconds);
        rule.Service = string.IsNullOrEmpty(body.Service) ? null : body.Service.ToLowerInvariant();
        rule.Api = string.IsNullOrEmpty(body.Api) ? null : body.Api;
        rule.Node = string.IsNullOrEmpty(body.Node) ? null : body.Node;
        rule.MinRequests = body.MinRequests ?? (traffic ? 10 : 0);
        rule.ForSeconds = forSeconds;
        rule.CooldownSeconds = cooldown;
        rule.WebhookUrl = body.WebhookUrl!;
        rule.Enabled = body.Enabled ?? true;
        return [];
    }

    /// <summary>Seconds as the shortest of <c>90s</c>, <c>5m</c>, <c>2h</c>.</summary>
    public static string Format(int seconds) => seconds % 3600 == 0 && seconds > 0 ? $"{seconds / 3600}h"
        : seconds % 60 == 0 && seconds > 0 ? $"{seconds / 60}m" : $"{seconds}s";

    private static int Duration(string? text, int fallback, string field, Action<string, string> add)
    {
        if (text is null)
        {
            return fallback;
        }

        var multiplier = text.Length > 1 ? text[^1] switch { 's' => 1, 'm' => 60, 'h' => 3600, _ => 0 } : 0;
        if (multiplier == 0 || !int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            || (long)count * multiplier > MaxDurationSeconds)
        {
            add(field, "must be a duration like 30s, 5m or 1h, at most 24h");
            return 0;
        }

        return count * multiplier;
    }
}
