using Gatehouse.Core.Config;

namespace Gatehouse.Console.Backend;

/// <summary>
/// What the console tells an operator about a service's nodes before a change: which take ordinary traffic. It only
/// describes; the gateway's routing (and the API's validation) decide.
/// </summary>
public static class ServiceFacts
{
    /// <summary>A node the gateways may send traffic to: online and not expired in the registry.</summary>
    public static bool TakesTraffic(NodeConfig node) => node.Online && !RegistryMetadata.IsExpired(node);

    /// <summary>The registry's view of the node: <c>expired</c>, else <c>live</c>.</summary>
    public static string RegistryState(NodeConfig node) => RegistryMetadata.IsExpired(node) ? "expired" : "live";

    /// <summary>
    /// The nodes that take ordinary traffic (requests without a gray header) when the service is as
    /// <paramref name="service"/> says: online, live, not gray-tagged unless they are the canary with a share above 0,
    /// and of the blue-green active version when one is set.
    /// </summary>
    public static IReadOnlyList<NodeConfig> OrdinaryNodes(ServiceConfig service)
    {
        var canary = service.Policy?.Canary;
        return service.Nodes.Where(n => TakesTraffic(n) && IsOrdinary(service, n, canary)).ToList();
    }

    /// <summary>A short line: the blue-green version and the canary share, or "all nodes".</summary>
    public static string SplitSummary(ServiceConfig service) => SplitSummary(service.ActiveVersion, service.Policy?.Canary);

    /// <summary>The same line from a service's blue-green version and canary.</summary>
    public static string SplitSummary(string? activeVersion, CanaryConfig? canaryConfig)
    {
        var parts = new List<string>();
        if (activeVersion is { } active)
        {
            parts.Add($"blue-green: {active}");
        }

        if (canaryConfig is { } canary)
        {
            parts.Add($"canary {(canary.Gray is not null ? "gray " + canary.Gray : "version " + canary.Version)}: {canary.Percent:0.##} %");
        }

        return parts.Count == 0 ? "all nodes" : string.Join(", ", parts);
    }

    /// <summary>The node's id as the API addresses it (its id, else host:port).</summary>
    public static string Id(NodeConfig node) => NodeIdentity.EffectiveId(node) ?? node.Address;

    private static bool IsCanary(NodeConfig node, CanaryConfig canary) =>
        canary.Gray is { } tag ? node.Gray.Contains(tag) : canary.Version is { } v && node.Version == v;

    private static bool IsOrdinary(ServiceConfig service, NodeConfig node, CanaryConfig? canary)
    {
        if (canary is not null && IsCanary(node, canary))
        {
            return canary.Percent > 0;
        }

        if (node.Gray.Count > 0)
        {
            return false;
        }

        return service.ActiveVersion is null || node.Version == service.ActiveVersion;
    }
}
