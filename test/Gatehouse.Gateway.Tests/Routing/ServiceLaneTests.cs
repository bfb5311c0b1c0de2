using Gatehouse.Core.Config;
using Gatehouse.Gateway.LoadBalancing;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Routing;
using Microsoft.AspNetCore.Http;
using static Gatehouse.Gateway.Tests.Infrastructure.TestNodes;

namespace Gatehouse.Gateway.Tests.Routing;

public class ServiceLaneTests
{
    private static ServiceLane Lane(NodeModel[] nodes, bool gray = true, bool nearest = true, string? loc = "dc1") =>
        new(new LaneKey(new LoadBalancerConfig(), nearest, gray), nodes, RouterPipeline.Default, new FirstNodeBalancers(), loc);

    [Fact]
    public void Select_NoGrayHeader_OrdinarySet()
    {
        var lane = Lane([Node("a", loc: "dc1"), Node("b", gray: ["v2"]), Node("c", loc: "dc2")]);
        Assert.Equal("a", Ids(lane.Select(null).Nodes));
        Assert.True(lane.HasGrayRoutes);
    }

    [Fact]
    public void Select_GrayHeader_GraySet()
    {
        var lane = Lane([Node("a"), Node("b", gray: ["v2"])]);
        Assert.Equal("b", Ids(lane.Select("v2").Nodes));
        Assert.Same(lane.Select(null), lane.Select("nope"));
    }

    [Fact]
    public void Select_NoGrayTags_HasNoGrayRoutes()
    {
        var lane = Lane([Node("a"), Node("b")]);
        Assert.False(lane.HasGrayRoutes);
    }

    [Fact]
    public void Select_AllOffline_EmptySetWithoutBalancer()
    {
        var lane = Lane([Node("a", online: false)]);
        Assert.Empty(lane.Select(null).Nodes);
        Assert.Null(lane.Select(null).Balancer);
    }

    [Fact]
    public void Rebuild_AfterHealthChange_SkipsUnhealthyNode()
    {
        NodeModel[] nodes = [Node("a"), Node("b")];
        var lane = Lane(nodes, nearest: false);
        Assert.Equal("a,b", Ids(lane.Select(null).Nodes));

        nodes[0].State.SetHealthy(false);
        Assert.Equal("a,b", Ids(lane.Select(null).Nodes)); // tables change only on rebuild, never mid-request
        lane.Rebuild();
        Assert.Equal("b", Ids(lane.Select(null).Nodes));
    }

    private sealed class FirstNodeBalancers : ILoadBalancerProvider
    {
        public ILoadBalancer Create(LoadBalancerConfig config, NodeModel[] nodes) => new First(nodes);

        private sealed class First(NodeModel[] nodes) : ILoadBalancer
        {
            public NodeModel? Pick(HttpContext context, NodeModel? exclude) => nodes[0];
        }
    }
}
