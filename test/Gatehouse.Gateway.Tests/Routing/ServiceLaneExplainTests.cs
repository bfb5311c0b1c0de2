using Gatehouse.Core.Config;
using Gatehouse.Gateway.LoadBalancing;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Routing;
using Microsoft.AspNetCore.Http;
using static Gatehouse.Gateway.Tests.Infrastructure.TestNodes;

namespace Gatehouse.Gateway.Tests.Routing;

/// <summary>
/// <see cref="ServiceLane.Explain"/>: it reports the route table's own sets and names the router that removed each node,
/// and takes no canary draw.
/// </summary>
public class ServiceLaneExplainTests
{
    private static ServiceLane Lane(NodeModel[] nodes, CanaryConfig? canary = null, string? loc = null) =>
        new(new LaneKey(new LoadBalancerConfig(), true, true, canary), nodes, RouterPipeline.Default, LoadBalancerRegistry.CreateDefault(),
            loc, null);

    private static string? Reason(LaneExplanation explanation, string id) => explanation.Nodes.Single(v => v.Node.Id == id).Reason;

    [Fact]
    public void Explain_NodeBackToHealthBeforeTheTableIsRebuilt_NotRouted_AndTheTablesSetIsReported()
    {
        var sick = Node("sick");
        var lane = Lane([Node("ok"), sick]);
        sick.State.SetHealthy(false);
        lane.Rebuild();
        Assert.Equal("unhealthy", Reason(lane.Explain(new DefaultHttpContext(), null), "sick"));

        // Healthy again, table not yet rebuilt: the request path still leaves it out, and explain says so.
        sick.State.SetHealthy(true);
        var stale = lane.Explain(new DefaultHttpContext(), null);
        Assert.Equal(ExclusionReasons.NotRouted, Reason(stale, "sick"));
        Assert.Equal("ok", Ids(stale.Sets.Single().Set.Nodes));

        lane.Rebuild();
        Assert.Null(Reason(lane.Explain(new DefaultHttpContext(), null), "sick"));
    }

    [Fact]
    public void Explain_NearestFallsBackToAll_WhenTheGatewaysLocHasNoNode()
    {
        var lane = Lane([Node("a", loc: "dc2"), Node("b", loc: "dc3")], loc: "dc1");
        var explanation = lane.Explain(new DefaultHttpContext(), null);
        Assert.Null(Reason(explanation, "a"));
        Assert.Null(Reason(explanation, "b"));
    }

    [Fact]
    public void Explain_DrawnCanary_TakesNoDraw()
    {
        var untouched = Lane([Node("stable"), Node("beta", gray: ["beta"])], new CanaryConfig { Gray = "beta", Percent = 50 });
        var explained = Lane([Node("stable"), Node("beta", gray: ["beta"])], new CanaryConfig { Gray = "beta", Percent = 50 });
        for (var i = 0; i < 25; i++)
        {
            Assert.True(explained.Explain(new DefaultHttpContext(), null).Drawn);
        }

        // The explained lane draws the same sequence as one never explained.
        Assert.Equal(Sides(untouched, 8), Sides(explained, 8));
    }

    private static string Sides(ServiceLane lane, int count) =>
        string.Join(",", Enumerable.Range(0, count).Select(_ => Ids(lane.Select(new DefaultHttpContext(), null).Nodes)));
}
