using Gatehouse.Core.Config;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Routing;

/// <summary>Why a node of the service is not in the node set a request gets; codes are stable (docs/admin-api.md, "Explain").</summary>
internal static class ExclusionReasons
{
    public const string Offline = "offline";
    public const string RegistryExpired = "registry_expired";
    public const string Unhealthy = "unhealthy";
    public const string GrayTag = "gray_tag";
    public const string NotNearest = "not_nearest";
    public const string CanarySide = "canary_side";
    public const string BlueGreenVersion = "blue_green_version";

    /// <summary>Routed out when the route table was last built; the node's state changed since and a rebuild is due.</summary>
    public const string NotRouted = "not_routed";
}

/// <summary>One node of the service and what routing made of it for one request.</summary>
/// <param name="Side">The set the node serves in: <c>gray</c>, <c>ordinary</c>, <c>canary</c>, or <c>default</c> without a canary.</param>
/// <param name="Reason">Null when the node is in that set; else one of <see cref="ExclusionReasons"/> or a custom router's name.</param>
internal sealed record NodeVerdict(NodeModel Node, string Side, bool Included, string? Reason, string? Detail);

/// <summary>A node set the request may get, with its share of requests (100 unless a canary split draws per request).</summary>
internal sealed record ExplainedSet(string Side, double Share, NodeSet Set);

/// <summary>What routing does with one request: the sets it may get and a verdict for every node of the service.</summary>
/// <param name="Gray">The gray name that selected a gray set, or null.</param>
/// <param name="Canary">The lane's canary split (null without one), <paramref name="StickyBucket"/> when a sticky key decided the side.</param>
/// <param name="Drawn">True when the canary side is drawn per request, so both sets are listed with their shares.</param>
internal sealed record LaneExplanation(string? Gray, CanarySplit? Canary, int? StickyBucket, bool Drawn,
    IReadOnlyList<ExplainedSet> Sets, IReadOnlyList<NodeVerdict> Nodes);

/// <summary>
/// Route explanations: the same inputs <see cref="Build"/> uses (the service's nodes, the blue-green and canary
/// partition, the router pipeline, the current route table), walked router by router so that every node left out is
/// named with the step that removed it. Runs only for <c>POST /control/explain</c>; the request path never calls it,
/// and it changes no state (no canary draw, no balancer pick).
/// </summary>
internal sealed partial class ServiceLane
{
    /// <summary>The service's blue-green <c>activeVersion</c>, or null.</summary>
    public string? ActiveVersion => _activeVersion;

    /// <summary>Explains the routing of <paramref name="context"/> given its gray header value (null when none applies).</summary>
    public LaneExplanation Explain(HttpContext context, string? grayName)
    {
        var table = _table;
        var sets = new List<ExplainedSet>(2);
        if (grayName is not null && table.ByGray is { } byGray && byGray.TryGetValue(grayName, out var graySet))
        {
            // Gray sets are built from every node, whatever its version or canary side (see Build).
            sets.Add(new ExplainedSet("gray", 100, graySet));
            var verdicts = Verdicts(new RouteKey(grayName, true, Key.Nearest, _localLoc), _nodes, "gray", graySet, null);
            return new LaneExplanation(grayName, null, null, false, sets, verdicts);
        }

        var canaryConfig = Key.Canary;
        var ordinaryKey = new RouteKey(null, Key.Gray, Key.Nearest, _localLoc);
        if (table.Canary is not { } split || canaryConfig is null)
        {
            sets.Add(new ExplainedSet("default", 100, table.Default));
            return new LaneExplanation(null, null, null, false, sets, OrdinaryVerdicts(ordinaryKey, "default", table.Default, null));
        }

        var chosen = split.ChooseWithoutDraw(context, out var bucket);
        var canaryShare = split.Threshold * 100.0 / CanarySplit.Buckets;
        if (chosen is null)
        {
            sets.Add(new ExplainedSet("ordinary", 100 - canaryShare, split.Ordinary));
            sets.Add(new ExplainedSet("canary", canaryShare, split.Canary));
        }
        else
        {
            sets.Add(new ExplainedSet(ReferenceEquals(chosen, split.Canary) ? "canary" : "ordinary", 100, chosen));
        }

        var canaryKey = new RouteKey(canaryConfig.Gray, Key.Gray, Key.Nearest, _localLoc);
        var ordinaryOut = chosen is not null && !ReferenceEquals(chosen, split.Ordinary)
            ? "Requests of this kind go to the canary side."
            : null;
        var canaryOut = chosen is not null && !ReferenceEquals(chosen, split.Canary)
            ? "Requests of this kind go to the ordinary side."
            : null;
        var result = new List<NodeVerdict>(_nodes.Length);
        var canaryNodes = NodeFilter.Where(_nodes, (n, _) => IsCanary(n, canaryConfig.Gray, canaryConfig.Version), default);
        var canaryVerdicts = Verdicts(canaryKey, canaryNodes, "canary", split.Canary, canaryOut);
        var ordinaryVerdicts = OrdinaryVerdicts(ordinaryKey, "ordinary", split.Ordinary, ordinaryOut);
        foreach (var node in _nodes)
        {
            // A node is reported on its own side: canary nodes by the canary set, the others by the ordinary one.
            var own = Array.IndexOf(canaryNodes, node) >= 0 ? canaryVerdicts : ordinaryVerdicts;
            foreach (var verdict in own)
            {
                if (ReferenceEquals(verdict.Node, node))
                {
                    result.Add(verdict);
                    break;
                }
            }
        }

        return new LaneExplanation(null, split, bucket, chosen is null, sets, result);
    }

    /// <summary>Verdicts for ordinary traffic: the blue-green and canary partition first, then the routers.</summary>
    private List<NodeVerdict> OrdinaryVerdicts(RouteKey key, string side, NodeSet set, string? sideNotChosen)
    {
        var canary = Key.Canary;
        var ordinary = _activeVersion is null && canary is null
            ? _nodes
            : NodeFilter.Where(_nodes, (n, _) => IsOrdinary(n, canary), default);
        var verdicts = Verdicts(key, ordinary, side, set, sideNotChosen);
        if (ReferenceEquals(ordinary, _nodes))
        {
            return verdicts;
        }

        var all = new List<NodeVerdict>(_nodes.Length);
        foreach (var node in _nodes)
        {
            var found = verdicts.Find(v => ReferenceEquals(v.Node, node));
            if (found is not null)
            {
                all.Add(found);
            }
            else if (_activeVersion is not null && !string.Equals(node.Version, _activeVersion, StringComparison.Ordinal))
            {
                all.Add(new NodeVerdict(node, side, false, ExclusionReasons.BlueGreenVersion,
                    $"The node runs version '{node.Version ?? "(none)"}'; the active version is '{_activeVersion}'."));
            }
            else
            {
                all.Add(new NodeVerdict(node, "canary", false, ExclusionReasons.CanarySide,
                    $"The node is on the canary side ({CanaryLabel(canary!)}); this request goes to the ordinary side."));
            }
        }

        return all;
    }

    /// <summary>
    /// Runs the routers one by one over <paramref name="candidates"/>, as <see cref="RouterPipeline.Route"/> does, and
    /// names the router that removed each node; nodes of <paramref name="set"/> (the set in force) are included.
    /// </summary>
    private List<NodeVerdict> Verdicts(RouteKey key, NodeModel[] candidates, string side, NodeSet set, string? sideNotChosen)
    {
        var removed = new Dictionary<NodeModel, (string Reason, string Detail)>(ReferenceEqualityComparer.Instance);
        var nodes = candidates;
        foreach (var router in _routers.Routers)
        {
            if (nodes.Length == 0)
            {
                break;
            }

            var next = router.Route(key, nodes);
            foreach (var node in nodes)
            {
                if (Array.IndexOf(next, node) < 0)
                {
                    removed[node] = Reason(router.Name, node, key);
                }
            }

            nodes = next;
        }

        var verdicts = new List<NodeVerdict>(candidates.Length);
        foreach (var node in candidates)
        {
            if (sideNotChosen is not null)
            {
                verdicts.Add(new NodeVerdict(node, side, false, ExclusionReasons.CanarySide, sideNotChosen));
            }
            else if (Array.IndexOf(set.Nodes, node) >= 0)
            {
                verdicts.Add(new NodeVerdict(node, side, true, null, null));
            }
            else if (removed.TryGetValue(node, out var why))
            {
                verdicts.Add(new NodeVerdict(node, side, false, why.Reason, why.Detail));
            }
            else
            {
                verdicts.Add(new NodeVerdict(node, side, false, ExclusionReasons.NotRouted,
                    "Left out when the route table was last built; the node's state has changed since and the table is being rebuilt."));
            }
        }

        return verdicts;
    }

    private static (string Reason, string Detail) Reason(string router, NodeModel node, RouteKey key) => router switch
    {
        RouterNames.Online when node.RegistryExpired => (ExclusionReasons.RegistryExpired,
            "The registry marked the node's lease expired (missed heartbeats past the TTL)."),
        RouterNames.Online => (ExclusionReasons.Offline, "An operator took the node's traffic off (online: false)."),
        RouterNames.Health => (ExclusionReasons.Unhealthy, "Health checking marked the node unhealthy."),
        RouterNames.Gray when key.GrayName is not null && !GrayRouter.HasTag(node, key.GrayName) =>
            (ExclusionReasons.GrayTag, $"The request is for gray '{key.GrayName}'; the node does not carry that tag."),
        RouterNames.Gray => (ExclusionReasons.GrayTag,
            $"The node carries gray tag(s) {string.Join(", ", node.Gray)}; requests without a matching gray header never reach it."),
        RouterNames.Nearest => (ExclusionReasons.NotNearest,
            $"The node is in loc '{node.Loc ?? "(none)"}'; this gateway is in '{key.LocalLoc}' and has nodes there."),
        _ => (router, $"Removed by the router '{router}'."),
    };

    private static string CanaryLabel(CanaryConfig canary) =>
        canary.Gray is not null ? $"gray tag '{canary.Gray}'" : $"version '{canary.Version}'";
}
