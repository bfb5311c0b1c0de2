using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Routing;
using static Gatehouse.Gateway.Tests.Infrastructure.TestNodes;

namespace Gatehouse.Gateway.Tests.Routing;

public class RoutersTests
{
    private static readonly RouteKey Ordinary = new(null, GrayEnabled: true, NearestEnabled: true, LocalLoc: "dc1");

    [Fact]
    public void Online_OfflineNode_Removed()
    {
        NodeModel[] nodes = [Node("a"), Node("b", online: false), Node("c")];
        Assert.Equal("a,c", Ids(new OnlineRouter().Route(Ordinary, nodes)));
    }

    [Fact]
    public void Online_AllOnline_ReturnsSameArray()
    {
        NodeModel[] nodes = [Node("a"), Node("b")];
        Assert.Same(nodes, new OnlineRouter().Route(Ordinary, nodes));
    }

    [Fact]
    public void Health_UnhealthyNode_Removed()
    {
        NodeModel[] nodes = [Node("a", healthy: false), Node("b")];
        Assert.Equal("b", Ids(new HealthRouter().Route(Ordinary, nodes)));
    }

    [Fact]
    public void Health_AllUnhealthy_LeavesNoNode()
    {
        // No panic mode: an empty set answers 503 no_available_node at once.
        NodeModel[] nodes = [Node("a", healthy: false), Node("b", healthy: false)];
        Assert.Empty(new HealthRouter().Route(Ordinary, nodes));
    }

    [Fact]
    public void Health_NeverChecked_CountsAsHealthy()
    {
        NodeModel[] nodes = [Node("a"), Node("b")];
        Assert.Same(nodes, new HealthRouter().Route(Ordinary, nodes));
    }

    [Theory]
    [InlineData(null, "a,d")]          // ordinary traffic never reaches gray nodes
    [InlineData("v2", "b,c")]          // gray traffic reaches only nodes with the tag
    [InlineData("canary", "c")]
    [InlineData("unknown", "a,d")]     // unknown gray name falls back to ordinary nodes
    public void Gray_Enabled_SelectsByTag(string? gray, string expected)
    {
        NodeModel[] nodes = [Node("a"), Node("b", gray: ["v2"]), Node("c", gray: ["v2", "canary"]), Node("d")];
        var key = Ordinary with { GrayName = gray };
        Assert.Equal(expected, Ids(new GrayRouter().Route(key, nodes)));
    }

    [Fact]
    public void Gray_Disabled_TagsIgnored()
    {
        NodeModel[] nodes = [Node("a"), Node("b", gray: ["v2"])];
        var key = Ordinary with { GrayEnabled = false };
        Assert.Equal("a,b", Ids(new GrayRouter().Route(key, nodes)));
        Assert.Equal("a,b", Ids(new GrayRouter().Route(key with { GrayName = "v2" }, nodes)));
    }

    [Fact]
    public void Gray_OnlyGrayNodesAndNoHeader_LeavesNone()
    {
        NodeModel[] nodes = [Node("b", gray: ["v2"])];
        Assert.Empty(new GrayRouter().Route(Ordinary, nodes));
    }

    [Theory]
    [InlineData("dc1", "a,c")]
    [InlineData("DC2", "b")]           // loc compares case-insensitively
    [InlineData("dc9", "a,b,c,d")]     // no local node: fall back to all
    public void Nearest_PrefersLocalLoc(string localLoc, string expected)
    {
        NodeModel[] nodes = [Node("a", loc: "dc1"), Node("b", loc: "dc2"), Node("c", loc: "dc1"), Node("d")];
        var key = Ordinary with { LocalLoc = localLoc };
        Assert.Equal(expected, Ids(new NearestRouter().Route(key, nodes)));
    }

    [Fact]
    public void Nearest_DisabledOrNoLocalLoc_KeepsAll()
    {
        NodeModel[] nodes = [Node("a", loc: "dc1"), Node("b", loc: "dc2")];
        Assert.Equal("a,b", Ids(new NearestRouter().Route(Ordinary with { NearestEnabled = false }, nodes)));
        Assert.Equal("a,b", Ids(new NearestRouter().Route(Ordinary with { LocalLoc = null }, nodes)));
    }

    [Fact]
    public void Pipeline_AppliesAllInOrder()
    {
        NodeModel[] nodes =
        [
            Node("off", loc: "dc1", online: false),
            Node("sick", loc: "dc1", healthy: false),
            Node("gray", loc: "dc1", gray: ["v2"]),
            Node("far", loc: "dc2"),
            Node("near", loc: "dc1"),
        ];
        Assert.Equal("near", Ids(RouterPipeline.Default.Route(Ordinary, nodes)));
        Assert.Equal("gray", Ids(RouterPipeline.Default.Route(Ordinary with { GrayName = "v2" }, nodes)));
        Assert.Equal("far,near", Ids(RouterPipeline.Default.Route(Ordinary with { NearestEnabled = false }, nodes)));
    }

    [Fact]
    public void Pipeline_NearestAfterGray_FallsBackWithinGraySet()
    {
        // The only v2 node is remote: gray wins over nearest, the request still goes to v2.
        NodeModel[] nodes = [Node("near", loc: "dc1"), Node("remote-v2", loc: "dc2", gray: ["v2"])];
        Assert.Equal("remote-v2", Ids(RouterPipeline.Default.Route(Ordinary with { GrayName = "v2" }, nodes)));
    }
}
