using System.Collections.Frozen;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.LoadBalancing;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Routing;

/// <summary>What distinguishes lanes: APIs that share balancer config, routing switches and canary share a lane.</summary>
internal sealed record LaneKey(LoadBalancerConfig LoadBalancer, bool Nearest, bool Gray, CanaryConfig? Canary = null);

/// <summary>A routed node list with the balancer built for exactly that list.</summary>
internal sealed class NodeSet
{
    public static readonly NodeSet Empty = new([], null);

    public NodeSet(NodeModel[] nodes, ILoadBalancer? balancer, string? emptyDetail = null)
    {
        Nodes = nodes;
        Balancer = balancer;
        EmptyDetail = emptyDetail;
    }

    public NodeModel[] Nodes { get; }

    /// <summary>Null when routing left no node: the request gets 503 <c>no_available_node</c>.</summary>
    public ILoadBalancer? Balancer { get; }

    /// <summary>For an empty set with a cause worth telling the client (e.g. no node of the active version); else null.</summary>
    public string? EmptyDetail { get; }
}

/// <summary>
/// The precomputed routing of one service for one <see cref="LaneKey"/>: a node set for ordinary traffic, one per
/// gray tag, and with a canary a second ordinary set plus the share of requests it takes. The request path does one
/// dictionary lookup and at most one hash or counter step. Health changes rebuild the table off the request path
/// and swap it in with one reference write.
/// </summary>
/// <remarks>
/// Ordinary traffic, in order:
/// <list type="number">
/// <item>Blue-green: with an <c>activeVersion</c>, only nodes of that version are ordinary (gray-tagged nodes keep
/// serving their gray header whatever their version).</item>
/// <item>Canary: nodes carrying the canary's gray tag, or of its version, form the canary set; the ordinary set
/// loses them. Each set goes through the router pipeline on its own (online, health, gray, nearest).</item>
/// <item>Fallback: a set with no online, healthy node gives its share to the other; when neither has one, requests
/// get 503 <c>no_available_node</c>, like a lone set with no healthy node.</item>
/// </list>
/// </remarks>
internal sealed partial class ServiceLane
{
    private readonly NodeModel[] _nodes;
    private readonly RouterPipeline _routers;
    private readonly ILoadBalancerProvider _balancers;
    private readonly string? _localLoc;
    private readonly string? _activeVersion;
    private readonly CanaryDraw _draw = new();
    private volatile RouteTable _table;

    public ServiceLane(LaneKey key, NodeModel[] nodes, RouterPipeline routers, ILoadBalancerProvider balancers, string? localLoc,
        string? activeVersion = null)
    {
        Key = key;
        _nodes = nodes;
        _routers = routers;
        _balancers = balancers;
        _localLoc = localLoc;
        _activeVersion = activeVersion;
        _table = Build();
    }

    public LaneKey Key { get; }

    /// <summary>True when some node set is reserved for a gray name, so the request's gray header matters.</summary>
    public bool HasGrayRoutes => _table.ByGray is not null;

    /// <summary>The canary split in force (after fallback); null when the lane has no canary.</summary>
    internal CanarySplit? Canary => _table.Canary;

    /// <summary>
    /// The node set for a request with the given gray header value (null when absent), without a canary draw:
    /// ordinary traffic gets the ordinary (non-canary) set.
    /// </summary>
    public NodeSet Select(string? grayName)
    {
        var table = _table;
        if (grayName is not null && table.ByGray is { } byGray && byGray.TryGetValue(grayName, out var set))
        {
            return set;
        }

        return table.Default;
    }

    /// <summary>The node set for a request: its gray lane when the header names one, else the canary split's pick.</summary>
    public NodeSet Select(HttpContext context, string? grayName)
    {
        var table = _table;
        if (grayName is not null && table.ByGray is { } byGray && byGray.TryGetValue(grayName, out var set))
        {
            return set;
        }

        return table.Canary is { } canary ? canary.Choose(context, _draw) : table.Default;
    }

    /// <summary>Recomputes routing after node state (health) changed. Balancer state restarts for changed sets.</summary>
    public void Rebuild() => _table = Build();

    private RouteTable Build()
    {
        var canaryConfig = Key.Canary;
        var ordinaryNodes = _nodes;
        string? emptyDetail = null;
        if (_activeVersion is not null || canaryConfig is not null)
        {
            ordinaryNodes = NodeFilter.Where(_nodes, (n, _) => IsOrdinary(n, canaryConfig), default);
            if (_activeVersion is not null && !HasVersion(_nodes, _activeVersion))
            {
                emptyDetail = $"{ServiceLabel} has activeVersion '{_activeVersion}' but no node of that version.";
            }
        }

        var ordinary = BuildSet(new RouteKey(null, Key.Gray, Key.Nearest, _localLoc), ordinaryNodes, emptyDetail);
        CanarySplit? split = null;
        if (canaryConfig is not null)
        {
            var canaryNodes = NodeFilter.Where(_nodes, (n, _) => IsCanary(n, canaryConfig.Gray, canaryConfig.Version), default);
            var canary = BuildSet(new RouteKey(canaryConfig.Gray, Key.Gray, Key.Nearest, _localLoc), canaryNodes, null);
            split = CanarySplit.Create(canaryConfig, ordinary, canary);
        }

        if (!Key.Gray)
        {
            return new RouteTable(ordinary, null, split);
        }

        var byGray = new Dictionary<string, NodeSet>(StringComparer.Ordinal);
        foreach (var node in _nodes)
        {
            foreach (var tag in node.Gray)
            {
                if (!byGray.ContainsKey(tag))
                {
                    byGray[tag] = BuildSet(new RouteKey(tag, true, Key.Nearest, _localLoc), _nodes, null);
                }
            }
        }

        return new RouteTable(ordinary, byGray.Count == 0 ? null : byGray.ToFrozenDictionary(StringComparer.Ordinal), split);
    }

    private string ServiceLabel => _nodes.Length > 0 ? $"Service '{_nodes[0].ServiceName}'" : "The service";

    private bool IsOrdinary(NodeModel node, CanaryConfig? canary) =>
        (_activeVersion is null || string.Equals(node.Version, _activeVersion, StringComparison.Ordinal))
        && (canary is null || !IsCanary(node, canary.Gray, canary.Version));

    /// <summary>A canary node carries the canary's gray tag, or runs its version (exactly one of the two is set).</summary>
    private static bool IsCanary(NodeModel node, string? gray, string? version) =>
        gray is not null ? GrayRouter.HasTag(node, gray) : string.Equals(node.Version, version, StringComparison.Ordinal);

    private static bool HasVersion(NodeModel[] nodes, string version)
    {
        foreach (var node in nodes)
        {
            if (string.Equals(node.Version, version, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private NodeSet BuildSet(RouteKey key, NodeModel[] candidates, string? emptyDetail)
    {
        var routed = candidates.Length == 0 ? candidates : _routers.Route(key, candidates);
        return routed.Length == 0
            ? emptyDetail is null ? NodeSet.Empty : new NodeSet([], null, emptyDetail)
            : new NodeSet(routed, _balancers.Create(Key.LoadBalancer, routed));
    }

    private sealed record RouteTable(NodeSet Default, FrozenDictionary<string, NodeSet>? ByGray, CanarySplit? Canary);
}
