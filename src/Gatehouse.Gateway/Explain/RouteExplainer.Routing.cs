using Gatehouse.Core.Config;
using Gatehouse.Gateway.Http;
using Gatehouse.Gateway.LoadBalancing;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Gateway.Routing;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Explain;

/// <summary>Step 3 of an explanation: the node sets, every node's verdict, the balancer and its pick.</summary>
internal sealed partial class RouteExplainer
{
    private ExplainedRouting DescribeRouting(HttpContext context, ServiceLane lane)
    {
        var grayHeader = _options.Headers.Gray;
        var gray = GatewayRequestHandler.GrayName(context, lane, grayHeader);
        var explained = lane.Explain(context, gray);
        var sentGray = context.Request.Headers.TryGetValue(grayHeader, out var grayValues) && grayValues.Count > 0 ? grayValues[0] : null;
        ExplainedGray? grayView = sentGray is null ? null : new ExplainedGray(grayHeader, sentGray, explained.Gray is not null,
            explained.Gray is not null
                ? $"The request goes to the nodes tagged '{sentGray}'."
                : lane.HasGrayRoutes
                    ? $"No node of this service carries the gray tag '{sentGray}': the request is routed as ordinary traffic."
                    : lane.Key.Gray
                        ? "No node of this service carries a gray tag: the header changes nothing."
                        : "Gray routing is off for this API: the header changes nothing.");

        ExplainedCanary? canary = null;
        if (explained.Canary is { } split && lane.Key.Canary is { } config)
        {
            var side = explained.Drawn ? "drawn" : explained.Sets[0].Side;
            var effective = split.Threshold * 100.0 / CanarySplit.Buckets;
            var detail = explained.Drawn
                ? $"Each ordinary request is drawn: {effective:0.##} % go to the canary side, the rest to the ordinary side."
                : explained.StickyBucket is { } bucket
                    ? $"The sticky key puts this request in bucket {bucket} of {CanarySplit.Buckets}; buckets below {split.Threshold} go to the canary, so it goes to the {side} side."
                    : split.Threshold == split.ConfiguredThreshold
                        ? $"Every ordinary request goes to the {side} side ({effective:0.##} % canary)."
                        : $"One side has no online, healthy node, so every ordinary request goes to the {side} side (configured {config.Percent:0.##} % canary).";
            canary = new ExplainedCanary(config.Gray, config.Version, config.Percent, effective, split.Sticky, explained.StickyBucket, side, detail);
        }

        var sets = new List<ExplainedNodeSet>(explained.Sets.Count);
        string? emptyDetail = null;
        foreach (var set in explained.Sets)
        {
            var ids = set.Set.Nodes.Select(n => n.Id).ToArray();
            sets.Add(new ExplainedNodeSet(set.Side, set.Share, ids,
                set.Set.Nodes.Length == 0 ? null : DescribeBalancer(context, lane.Key.LoadBalancer, set.Set)));
            emptyDetail ??= set.Set.EmptyDetail;
        }

        var nodes = explained.Nodes.Select(v => new ExplainedNode(v.Node.Id, v.Node.BaseAddress, v.Node.Weight, v.Node.EffectiveWeight,
            v.Node.Loc, v.Node.Version, v.Node.Gray, v.Node.Online, v.Node.State.Healthy, v.Node.State.InFlight, v.Side, v.Included,
            v.Reason, v.Detail)).ToArray();
        return new ExplainedRouting
        {
            GrayRouting = lane.Key.Gray,
            NearestRouting = lane.Key.Nearest,
            LocalLoc = _options.Loc,
            ActiveVersion = lane.ActiveVersion,
            Gray = grayView,
            Canary = canary,
            Sets = sets,
            Nodes = nodes,
            EmptyDetail = emptyDetail,
        };
    }

    /// <summary>
    /// The balancer of one set. Only a consistent hash is asked for its pick (a pure function of the key); the others
    /// keep state or draw at random, so their weights (or in-flight counts) are shown instead of a pick.
    /// </summary>
    private static ExplainedBalancer DescribeBalancer(HttpContext context, LoadBalancerConfig config, NodeSet set)
    {
        var (eligible, weights) = BalancerCandidates.Eligible(set.Nodes, weightWhenAllZero: 1);
        double total = weights.Sum();
        var table = new NodeWeight[eligible.Length];
        for (var i = 0; i < eligible.Length; i++)
        {
            table[i] = new NodeWeight(eligible[i].Id, weights[i], Math.Round(weights[i] * 100 / total, 2),
                config.Kind == LoadBalancerKind.LeastInFlight ? eligible[i].State.InFlight : null);
        }

        switch (config.Kind)
        {
            case LoadBalancerKind.ConsistentHash:
                var key = config.HashKey ?? new HashKeyConfig();
                var text = HashKeyReader.ReadText(context, key.Source, key.Name);
                var fellBack = text is null && key.Source != HashKeySource.ClientIp;
                var clientIp = ClientIp.Get(context);
                var pick = set.Balancer is ConsistentHash ring ? ring.Pick(context, null)?.Id : null;
                var from = text is not null
                    ? $"the key '{text}'"
                    : clientIp is not null
                        ? $"the client IP {clientIp}" + (fellBack ? $" (the {Name(key.Source)} key is missing)" : "")
                        : "no key and no client IP (the first node on the ring)";
                return new ExplainedBalancer("consistentHash", pick, $"Consistent hash over {eligible.Length} node(s): {from} maps to {pick}.",
                    new HashKeyView(Name(key.Source), key.Name, text ?? clientIp?.ToString(), text is null), table);
            case LoadBalancerKind.WeightedRandom:
                return new ExplainedBalancer("weightedRandom", null, "A random draw in proportion to the weights; no single pick to show.", null, table);
            case LoadBalancerKind.LeastInFlight:
                return new ExplainedBalancer("leastInFlight", null,
                    "Two nodes drawn in proportion to their weights; the one with fewer requests in flight wins (inFlight is now).", null, table);
            default:
                return new ExplainedBalancer("roundRobin", null,
                    "Smooth weighted round robin: requests rotate through the nodes in proportion to their weights, so the next pick depends on earlier ones.",
                    null, table);
        }
    }

    private static string Name(HashKeySource source) => source switch
    {
        HashKeySource.Header => "header",
        HashKeySource.Query => "query",
        HashKeySource.Path => "path",
        _ => "clientIp",
    };
}
