using System.Globalization;
using Gatehouse.Console.Backend;

namespace Gatehouse.Console.Components.Pages.Alerts;

/// <summary>Alert rules and alerts in words, as the alerts page lists them.</summary>
internal static class AlertText
{
    /// <summary>The kinds the API knows, with what each measures (docs/admin-api.md, "Alerts").</summary>
    public static readonly (string Kind, string Label)[] Kinds =
    [
        ("errorRate", "5xx rate above a percentage"),
        ("p99Latency", "p99 latency above some ms"),
        ("qpsDrop", "QPS dropped by more than a percentage"),
        ("nodeUnhealthy", "more registry nodes expired than a count"),
        ("gatewayNotConverged", "more gateways behind the version than a count"),
    ];

    public static bool IsTraffic(string? kind) => kind is "errorRate" or "p99Latency" or "qpsDrop";

    public static string Condition(AlertRuleView r)
    {
        var t = r.Threshold.ToString("0.###", CultureInfo.InvariantCulture);
        return r.Kind switch
        {
            "errorRate" => $"5xx above {t} % over {r.Window} (at least {r.MinRequests} requests)",
            "p99Latency" => $"p99 above {t} ms over {r.Window} (at least {r.MinRequests} requests)",
            "qpsDrop" => $"QPS down more than {t} % against the {r.Window} before (at least {r.MinRequests} requests)",
            "nodeUnhealthy" => $"more than {t} registry nodes expired",
            "gatewayNotConverged" => $"more than {t} live gateways behind the version {r.For} after it was published",
            _ => $"{r.Kind} {t}",
        };
    }

    public static string Scope(AlertRuleView r)
    {
        var parts = new[] { r.Service is null ? null : $"service {r.Service}", r.Api is null ? null : $"API {r.Api}", r.Node is null ? null : $"gateway {r.Node}" }
            .OfType<string>().ToList();
        return parts.Count == 0 ? "whole group" : string.Join(", ", parts);
    }

    public static string Time(DateTimeOffset? at) => at is { } t ? t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC" : "";
}
