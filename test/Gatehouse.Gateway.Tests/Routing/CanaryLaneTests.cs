using System.Net;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.LoadBalancing;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Routing;
using Microsoft.AspNetCore.Http;
using static Gatehouse.Gateway.Tests.Infrastructure.TestNodes;

namespace Gatehouse.Gateway.Tests.Routing;

public class CanaryLaneTests
{
    private static ServiceLane Lane(NodeModel[] nodes, CanaryConfig? canary, string? activeVersion = null, bool gray = true) =>
        new(new LaneKey(new LoadBalancerConfig(), false, gray, canary), nodes, RouterPipeline.Default, LoadBalancerRegistry.CreateDefault(),
            null, activeVersion);

    private static NodeModel[] StableAndBeta() => [Node("s1"), Node("s2"), Node("b1", gray: ["beta"])];

    /// <summary>Routes <paramref name="count"/> ordinary requests; returns how many went to a canary node.</summary>
    private static int CountCanary(ServiceLane lane, int count, Func<int, HttpContext>? context = null, Func<NodeModel, bool>? isCanary = null)
    {
        isCanary ??= n => n.Gray.Length > 0;
        var shared = new DefaultHttpContext();
        var hits = 0;
        for (var i = 0; i < count; i++)
        {
            var set = lane.Select(context?.Invoke(i) ?? shared, null);
            var node = set.Balancer!.Pick(shared, null)!;
            if (isCanary(node))
            {
                hits++;
            }
        }

        return hits;
    }

    [Theory]
    [InlineData(5)]
    [InlineData(50)]
    [InlineData(0.5)]
    [InlineData(95)]
    public void Select_NonSticky_10000Decisions_ShareWithinTolerance(double percent)
    {
        var lane = Lane(StableAndBeta(), new CanaryConfig { Gray = "beta", Percent = percent });
        var share = CountCanary(lane, 10_000) / 100.0;
        Assert.InRange(share, percent - 1.5, percent + 1.5);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(100, 10_000)]
    public void Select_ZeroOrHundred_AllOnOneSide(double percent, int expected)
    {
        var lane = Lane(StableAndBeta(), new CanaryConfig { Gray = "beta", Percent = percent });
        Assert.Equal(expected, CountCanary(lane, 10_000));
    }

    [Fact]
    public void Select_ExplicitGrayHeader_GoesToGrayLaneWhateverTheSplit()
    {
        var lane = Lane(StableAndBeta(), new CanaryConfig { Gray = "beta", Percent = 0 });
        var context = new DefaultHttpContext();
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal("b1", Ids(lane.Select(context, "beta").Nodes));
        }
    }

    [Fact]
    public void Select_UnknownGrayHeader_TreatedAsOrdinaryAndSplit()
    {
        var lane = Lane(StableAndBeta(), new CanaryConfig { Gray = "beta", Percent = 100 });
        Assert.Equal("b1", Ids(lane.Select(new DefaultHttpContext(), "nope").Nodes));
    }

    [Fact]
    public void Select_StickyHeader_KeyKeepsItsSideAndShareHolds()
    {
        var lane = Lane(StableAndBeta(), new CanaryConfig
        {
            Gray = "beta", Percent = 20, Sticky = new CanaryStickyConfig { Source = CanaryKeySource.Header, Name = "x-user" },
        });
        var onCanary = 0;
        for (var user = 0; user < 2_000; user++)
        {
            var context = new DefaultHttpContext();
            context.Request.Headers["x-user"] = $"user-{user}";
            var first = lane.Select(context, null);
            for (var repeat = 0; repeat < 5; repeat++)
            {
                Assert.Same(first, lane.Select(context, null));
            }

            if (ReferenceEquals(first, lane.Canary!.Canary))
            {
                onCanary++;
            }
        }

        Assert.InRange(onCanary / 20.0, 20 - 3, 20 + 3);
    }

    [Fact]
    public void Select_StickyKey_ChangesSideOnlyWhenPercentCrossesItsBucket()
    {
        var nodes = StableAndBeta();
        var sticky = new CanaryStickyConfig { Source = CanaryKeySource.Query, Name = "uid" };
        var keys = Enumerable.Range(0, 300).Select(i => $"k{i}").ToArray();
        foreach (var key in keys)
        {
            var bucket = CanarySplit.StickyBucket(Core.Hashing.XxHash64.HashUtf8(key));
            var context = new DefaultHttpContext();
            context.Request.QueryString = new QueryString($"?uid={key}");
            foreach (var percent in new[] { 0.0, 1, 5, 10, 25, 50, 75, 99.99, 100 })
            {
                var lane = Lane(nodes, new CanaryConfig { Gray = "beta", Percent = percent, Sticky = sticky });
                var expectCanary = bucket < CanarySplit.ToBuckets(percent);
                Assert.Equal(expectCanary, ReferenceEquals(lane.Select(context, null), lane.Canary!.Canary));
            }
        }
    }

    [Fact]
    public void Select_StickyHeaderMissing_FallsBackToClientIp()
    {
        var lane = Lane(StableAndBeta(), new CanaryConfig
        {
            Gray = "beta", Percent = 50, Sticky = new CanaryStickyConfig { Source = CanaryKeySource.Header, Name = "x-user" },
        });
        var sides = new HashSet<bool>();
        for (var ip = 1; ip <= 200; ip++)
        {
            var context = new DefaultHttpContext();
            context.Connection.RemoteIpAddress = IPAddress.Parse($"10.1.0.{ip}");
            var side = ReferenceEquals(lane.Select(context, null), lane.Canary!.Canary);
            Assert.Equal(side, ReferenceEquals(lane.Select(context, null), lane.Canary.Canary));
            sides.Add(side);
        }

        Assert.Equal(2, sides.Count);
    }

    [Fact]
    public void Select_CanaryNodesUnhealthy_AllTrafficToOrdinaryUntilTheyRecover()
    {
        var nodes = StableAndBeta();
        var lane = Lane(nodes, new CanaryConfig { Gray = "beta", Percent = 50 });
        nodes[2].State.SetHealthy(false);
        lane.Rebuild();
        Assert.Equal(0, CountCanary(lane, 1_000));

        nodes[2].State.SetHealthy(true);
        lane.Rebuild();
        Assert.InRange(CountCanary(lane, 1_000), 450, 550);
    }

    [Fact]
    public void Select_CanaryNodesOffline_AllTrafficToOrdinary()
    {
        var lane = Lane([Node("s1"), Node("b1", gray: ["beta"], online: false)], new CanaryConfig { Gray = "beta", Percent = 90 });
        Assert.Equal(0, CountCanary(lane, 1_000));
    }

    [Fact]
    public void Select_OrdinaryNodesUnhealthyOrOffline_AllTrafficToCanary()
    {
        var unhealthy = Lane([Node("s1", healthy: false), Node("b1", gray: ["beta"])], new CanaryConfig { Gray = "beta", Percent = 5 });
        Assert.Equal(1_000, CountCanary(unhealthy, 1_000));

        var offline = Lane([Node("s1", online: false), Node("b1", gray: ["beta"])], new CanaryConfig { Gray = "beta", Percent = 5 });
        Assert.Equal(1_000, CountCanary(offline, 1_000));
    }

    [Fact]
    public void Select_BothSidesUnhealthy_NoNodeOnEitherSide()
    {
        var lane = Lane([Node("s1", healthy: false), Node("b1", gray: ["beta"], healthy: false)], new CanaryConfig { Gray = "beta", Percent = 50 });
        for (var i = 0; i < 100; i++)
        {
            Assert.Empty(lane.Select(new DefaultHttpContext(), null).Nodes);
        }
    }

    [Fact]
    public void Select_CanaryTagNoNodeCarries_OrdinaryOnly()
    {
        var lane = Lane([Node("s1"), Node("s2")], new CanaryConfig { Gray = "beta", Percent = 50 });
        Assert.Equal("s1,s2", Ids(lane.Select(new DefaultHttpContext(), null).Nodes));
    }

    [Fact]
    public void Select_VersionCanary_SplitsBetweenActiveAndCanaryVersion()
    {
        NodeModel[] nodes = [Node("a1", version: "v1"), Node("a2", version: "v1"), Node("b1", version: "v2"), Node("x", version: "v0")];
        var lane = Lane(nodes, new CanaryConfig { Version = "v2", Percent = 20 }, activeVersion: "v1");
        Assert.Equal("a1,a2", Ids(lane.Canary!.Ordinary.Nodes));
        Assert.Equal("b1", Ids(lane.Canary.Canary.Nodes));
        var share = CountCanary(lane, 10_000, isCanary: n => n.Version == "v2") / 100.0;
        Assert.InRange(share, 18.5, 21.5);
    }

    [Fact]
    public void Select_GrayRoutingOff_TagCanaryStillSelectsTaggedNodes()
    {
        var lane = Lane(StableAndBeta(), new CanaryConfig { Gray = "beta", Percent = 30 }, gray: false);
        Assert.Equal("s1,s2", Ids(lane.Canary!.Ordinary.Nodes));
        Assert.Equal("b1", Ids(lane.Canary.Canary.Nodes));
    }

    [Fact]
    public void Select_OrdinaryRequests_AllocateNothing()
    {
        var plain = Lane(StableAndBeta(), new CanaryConfig { Gray = "beta", Percent = 30 });
        var sticky = Lane(StableAndBeta(), new CanaryConfig
        {
            Gray = "beta", Percent = 30, Sticky = new CanaryStickyConfig { Source = CanaryKeySource.Header, Name = "x-user" },
        });
        var context = new DefaultHttpContext();
        context.Request.Headers["x-user"] = "someone";
        for (var i = 0; i < 100; i++)
        {
            plain.Select(context, null);
            sticky.Select(context, null);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            plain.Select(context, null);
            sticky.Select(context, null);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
