using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Routing;

/// <summary>Offline nodes (traffic taken off by an operator) get no traffic.</summary>
internal sealed class OnlineRouter : IRouter
{
    public string Name => RouterNames.Online;

    public NodeModel[] Route(in RouteKey key, NodeModel[] candidates) =>
        NodeFilter.Where(candidates, static (n, _) => n.Online, key);
}

/// <summary>
/// Skips nodes that health checking marked unhealthy. When every candidate is unhealthy none is left and the
/// request gets 503 <c>no_available_node</c> at once, rather than waiting on nodes known to be down. A node nobody
/// has checked yet counts as healthy: only a check that failed takes a node out.
/// </summary>
/// <remarks>
/// No panic mode (the former fail-open rule): with retries to untried nodes and passive ejection, sending traffic
/// to nodes that failed their checks turns an outage into slow failures and timeouts. A probe endpoint that is
/// wrong about every node is the operator's to see (the nodes' health is in <c>/metrics</c>).
/// </remarks>
internal sealed class HealthRouter : IRouter
{
    public string Name => RouterNames.Health;

    public NodeModel[] Route(in RouteKey key, NodeModel[] candidates) =>
        NodeFilter.Where(candidates, static (n, _) => n.State.Healthy, key);
}

/// <summary>
/// Gray release: a request carrying <c>gray=NAME</c> goes only to nodes tagged NAME; ordinary requests never
/// reach gray-tagged nodes. A gray name no node carries falls back to the ordinary nodes, so a stale client
/// header does not fail requests. With gray routing off, tags are ignored and every node is ordinary.
/// </summary>
internal sealed class GrayRouter : IRouter
{
    public string Name => RouterNames.Gray;

    public NodeModel[] Route(in RouteKey key, NodeModel[] candidates)
    {
        if (!key.GrayEnabled)
        {
            return candidates;
        }

        if (key.GrayName is not null)
        {
            var tagged = NodeFilter.Where(candidates, static (n, k) => HasTag(n, k.GrayName!), key);
            if (tagged.Length > 0)
            {
                return tagged;
            }
        }

        return NodeFilter.Where(candidates, static (n, _) => n.Gray.Length == 0, key);
    }

    internal static bool HasTag(NodeModel node, string name)
    {
        foreach (var tag in node.Gray)
        {
            if (string.Equals(tag, name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Prefers nodes in the gateway's own datacenter (<c>loc</c>); falls back to all when there are none.</summary>
internal sealed class NearestRouter : IRouter
{
    public string Name => RouterNames.Nearest;

    public NodeModel[] Route(in RouteKey key, NodeModel[] candidates)
    {
        if (!key.NearestEnabled || key.LocalLoc is null)
        {
            return candidates;
        }

        var near = NodeFilter.Where(candidates, static (n, k) => string.Equals(n.Loc, k.LocalLoc, StringComparison.OrdinalIgnoreCase), key);
        return near.Length == 0 ? candidates : near;
    }
}

internal static class NodeFilter
{
    /// <summary>Filters without LINQ; returns the input array when every node passes so unchanged sets share storage.</summary>
    public static NodeModel[] Where(NodeModel[] nodes, Func<NodeModel, RouteKey, bool> keep, in RouteKey key)
    {
        var count = 0;
        foreach (var node in nodes)
        {
            if (keep(node, key))
            {
                count++;
            }
        }

        if (count == nodes.Length)
        {
            return nodes;
        }

        var result = new NodeModel[count];
        var i = 0;
        foreach (var node in nodes)
        {
            if (keep(node, key))
            {
                result[i++] = node;
            }
        }

        return result;
    }
}
