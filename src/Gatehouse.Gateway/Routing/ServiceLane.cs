using System.Collections.Frozen;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.LoadBalancing;
using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Routing;

/// <summary>What distinguishes lanes: APIs that share balancer config and routing switches share a lane.</summary>
internal sealed record LaneKey(LoadBalancerConfig LoadBalancer, bool Nearest, bool Gray);

/// <summary>A routed node list with the balancer built for exactly that list.</summary>
internal sealed class NodeSet
{
    public static readonly NodeSet Empty = new([], null);

    public NodeSet(NodeModel[] nodes, ILoadBalancer? balancer)
    {
        Nodes = nodes;
        Balancer = balancer;
    }

    public NodeModel[] Nodes { get; }

    /// <summary>Null when routing left no node: the request gets 503 <c>no_available_node</c>.</summary>
    public ILoadBalancer? Balancer { get; }
}

/// <summary>
/// The precomputed routing of one service for one <see cref="LaneKey"/>: a node set for ordinary traffic and
/// one per gray tag. The request path does one dictionary lookup at most. Health changes rebuild the table
/// off the request path and swap it in with one reference write.
/// </summary>
internal sealed class ServiceLane
{
    private readonly NodeModel[] _nodes;
    private readonly RouterPipeline _routers;
    private readonly ILoadBalancerProvider _balancers;
    private readonly string? _localLoc;
    private volatile RouteTable _table;

    public ServiceLane(LaneKey key, NodeModel[] nodes, RouterPipeline routers, ILoadBalancerProvider balancers, string? localLoc)
    {
        Key = key;
        _nodes = nodes;
        _routers = routers;
        _balancers = balancers;
        _localLoc = localLoc;
        _table = Build();
    }

    public LaneKey Key { get; }

    /// <summary>True when some node set is reserved for a gray name, so the request's gray header matters.</summary>
    public bool HasGrayRoutes => _table.ByGray is not null;

    /// <summary>The node set for a request with the given gray header value (null when absent).</summary>
    public NodeSet Select(string? grayName)
    {
        var table = _table;
        if (grayName is not null && table.ByGray is { } byGray && byGray.TryGetValue(grayName, out var set))
        {
            return set;
        }

        return table.Default;
    }

    /// <summary>Recomputes routing after node state (health) changed. Balancer state restarts for changed sets.</summary>
    public void Rebuild() => _table = Build();

    private RouteTable Build()
    {
        var ordinary = BuildSet(new RouteKey(null, Key.Gray, Key.Nearest, _localLoc));
        if (!Key.Gray)
        {
            return new RouteTable(ordinary, null);
        }

        var byGray = new Dictionary<string, NodeSet>(StringComparer.Ordinal);
        foreach (var node in _nodes)
        {
            foreach (var tag in node.Gray)
            {
                if (!byGray.ContainsKey(tag))
                {
                    byGray[tag] = BuildSet(new RouteKey(tag, true, Key.Nearest, _localLoc));
                }
            }
        }

        return new RouteTable(ordinary, byGray.Count == 0 ? null : byGray.ToFrozenDictionary(StringComparer.Ordinal));
    }

    private NodeSet BuildSet(RouteKey key)
    {
        var routed = _routers.Route(key, _nodes);
        return routed.Length == 0 ? NodeSet.Empty : new NodeSet(routed, _balancers.Create(Key.LoadBalancer, routed));
    }

    private sealed record RouteTable(NodeSet Default, FrozenDictionary<string, NodeSet>? ByGray);
}
