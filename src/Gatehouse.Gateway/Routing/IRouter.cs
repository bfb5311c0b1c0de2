using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Routing;

/// <summary>
/// Narrows a node list. Routers are composed in order (online → health → gray → nearest) and are evaluated
/// when a route table is built for a snapshot or after a health change, once per distinct <see cref="RouteKey"/>,
/// never per request: the request path only looks the routed node set up.
/// </summary>
public interface IRouter
{
    string Name { get; }

    /// <summary>Returns the nodes that may serve <paramref name="key"/>; the input array itself when nothing is removed.</summary>
    NodeModel[] Route(in RouteKey key, NodeModel[] candidates);
}

/// <summary>What routing may depend on: the request's gray name and the switches in force for the API.</summary>
/// <param name="GrayName">Value of the <c>gray</c> header, or null for ordinary traffic.</param>
/// <param name="GrayEnabled">Gray routing on for this service/API.</param>
/// <param name="NearestEnabled">Nearest-datacenter routing on for this service/API.</param>
/// <param name="LocalLoc">The gateway node's own <c>loc</c>; null disables nearest routing.</param>
public readonly record struct RouteKey(string? GrayName, bool GrayEnabled, bool NearestEnabled, string? LocalLoc);

/// <summary>Names of the built-in routers, in their default order.</summary>
public static class RouterNames
{
    public const string Online = "online";
    public const string Health = "health";
    public const string Gray = "gray";
    public const string Nearest = "nearest";
}
