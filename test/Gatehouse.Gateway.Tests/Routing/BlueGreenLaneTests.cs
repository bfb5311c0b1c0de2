using Gatehouse.Core.Config;
using Gatehouse.Gateway.LoadBalancing;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Routing;
using Microsoft.AspNetCore.Http;
using static Gatehouse.Gateway.Tests.Infrastructure.TestNodes;

namespace Gatehouse.Gateway.Tests.Routing;

public class BlueGreenLaneTests
{
    private static ServiceLane Lane(NodeModel[] nodes, string? activeVersion, CanaryConfig? canary = null) =>
        new(new LaneKey(new LoadBalancerConfig(), false, true, canary), nodes, RouterPipeline.Default, LoadBalancerRegistry.CreateDefault(),
            null, activeVersion);

    private static NodeModel[] Fleet() =>
        [Node("blue1", version: "v1"), Node("blue2", version: "v1"), Node("green1", version: "v2"), Node("plain")];

    [Theory]
    [InlineData("v1", "blue1,blue2")]
    [InlineData("v2", "green1")]
    [InlineData(null, "blue1,blue2,green1,plain")]
    public void Select_ActiveVersion_OnlyNodesOfThatVersionTakeOrdinaryTraffic(string? active, string expected)
    {
        var lane = Lane(Fleet(), active);
        Assert.Equal(expected, Ids(lane.Select(new DefaultHttpContext(), null).Nodes));
    }

    [Fact]
    public void Select_ActiveVersionNoNodeHas_EmptyWithDetail()
    {
        var set = Lane(Fleet(), "v3").Select(new DefaultHttpContext(), null);
        Assert.Empty(set.Nodes);
        Assert.Null(set.Balancer);
        Assert.Contains("activeVersion 'v3'", set.EmptyDetail);
    }

    [Fact]
    public void Select_ActiveVersionNodesAllOffline_EmptyWithoutVersionDetail()
    {
        var set = Lane([Node("blue1", version: "v1", online: false), Node("green1", version: "v2")], "v1").Select(new DefaultHttpContext(), null);
        Assert.Empty(set.Nodes);
        Assert.Null(set.EmptyDetail);
    }

    [Fact]
    public void Select_ActiveVersionNodesAllUnhealthy_NoNodeAndNoOtherVersion()
    {
        var lane = Lane([Node("blue1", version: "v1", healthy: false), Node("green1", version: "v2")], "v1");
        Assert.Empty(lane.Select(new DefaultHttpContext(), null).Nodes);
    }

    [Fact]
    public void Select_GrayNodeOfOtherVersion_StillServesItsGrayHeader()
    {
        var lane = Lane([Node("blue1", version: "v1"), Node("probe", version: "v2", gray: ["qa"])], "v1");
        Assert.Equal("probe", Ids(lane.Select(new DefaultHttpContext(), "qa").Nodes));
        Assert.Equal("blue1", Ids(lane.Select(new DefaultHttpContext(), null).Nodes));
    }

    [Fact]
    public void Select_StagedRelease_CanaryOfNextVersionAtHundredPercentTakesEverything()
    {
        var lane = Lane(Fleet(), "v1", new CanaryConfig { Version = "v2", Percent = 100 });
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal("green1", Ids(lane.Select(new DefaultHttpContext(), null).Nodes));
        }
    }
}
