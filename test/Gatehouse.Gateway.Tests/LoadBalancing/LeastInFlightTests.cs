using Gatehouse.Gateway.LoadBalancing;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.LoadBalancing;

public sealed class LeastInFlightTests
{
    private static readonly HttpContext Context = new DefaultHttpContext();

    [Theory]
    [InlineData(2, 0)]
    [InlineData(4, 0)]
    [InlineData(4, 3)]
    [InlineData(10, 5)]
    public void Pick_OneBusyNodeOthersIdle_BusyNodeNeverChosen(int count, int busy)
    {
        var nodes = TestNodes.WithWeights(Enumerable.Repeat(100, count).ToArray());
        nodes[busy].Busy(50);
        var balancer = new LeastInFlight(nodes, new Random(1));

        var counts = TestNodes.CountPicks(nodes, () => balancer.Pick(Context, null), 10_000);

        Assert.Equal(0, counts[busy]);
    }

    [Fact]
    public void Pick_AllIdle_TiesGoToFirstSampledSoSharesAreEven()
    {
        var nodes = TestNodes.WithWeights(100, 100, 100, 100);
        var balancer = new LeastInFlight(nodes, new Random(2));

        var counts = TestNodes.CountPicks(nodes, () => balancer.Pick(Context, null), 100_000);

        Assert.All(counts, c => Assert.InRange(c / 100_000.0, 0.23, 0.27));
    }

    // Loads compare as InFlight/Weight: 10/100 vs 20/300 favours the second node, 1/100 vs 20/300 the first.
    [Theory]
    [InlineData(10, 20, 1)]
    [InlineData(1, 20, 0)]
    public void Pick_DifferentWeights_ComparesInFlightPerWeight(int inFlightLight, int inFlightHeavy, int expected)
    {
        var nodes = TestNodes.WithWeights(100, 300);
        nodes[0].Busy(inFlightLight);
        nodes[1].Busy(inFlightHeavy);
        var balancer = new LeastInFlight(nodes, new Random(3));

        var counts = TestNodes.CountPicks(nodes, () => balancer.Pick(Context, null), 1000);

        Assert.Equal(1000, counts[expected]);
    }

    [Fact]
    public void Pick_EqualLoadPerWeight_TieGoesToFirstSampled()
    {
        // 1/100 == 3/300: both nodes are chosen, depending only on which was sampled first.
        var nodes = TestNodes.WithWeights(100, 300);
        nodes[0].Busy(1);
        nodes[1].Busy(3);
        var balancer = new LeastInFlight(nodes, new Random(4));

        var counts = TestNodes.CountPicks(nodes, () => balancer.Pick(Context, null), 10_000);

        Assert.All(counts, c => Assert.InRange(c, 4000, 6000));
    }

    // Samples are drawn as Next(count) then Next(count - 1), the second shifted past the first, so (2, 0)
    // samples node 2 then node 0, and (0, 1) samples node 0 then node 2.
    [Theory]
    [InlineData(2, 0, 2)]
    [InlineData(0, 1, 0)]
    [InlineData(1, 1, 1)]
    public void Pick_EqualLoadScriptedSamples_FirstSampledWins(int firstDraw, int secondDraw, int expected)
    {
        var nodes = TestNodes.WithWeights(100, 100, 100);
        var balancer = new LeastInFlight(nodes, new ScriptedRandom(firstDraw, secondDraw));

        Assert.Same(nodes[expected], balancer.Pick(Context, null));
    }

    [Fact]
    public void Pick_ScriptedSamplesWithExclusion_IndicesSkipExcludedNode()
    {
        // Excluding node 1 leaves nodes 0, 2, 3 numbered 0, 1, 2: draws (1, 1) sample node 2 then node 3.
        var nodes = TestNodes.WithWeights(100, 100, 100, 100);
        nodes[2].Busy(1);
        var balancer = new LeastInFlight(nodes, new ScriptedRandom(1, 1));

        Assert.Same(nodes[3], balancer.Pick(Context, nodes[1]));
    }

    [Fact]
    public void Pick_ExcludedIdleNode_NeverChosen()
    {
        var nodes = TestNodes.WithWeights(100, 100, 100);
        nodes[0].Busy(5);
        nodes[2].Busy(5);
        var balancer = new LeastInFlight(nodes, new Random(5));

        var counts = TestNodes.CountPicks(nodes, () => balancer.Pick(Context, nodes[1]), 5000);

        Assert.Equal(0, counts[1]);
        Assert.All(new[] { counts[0], counts[2] }, c => Assert.InRange(c, 2000, 3000));
    }

    [Fact]
    public void Pick_TwoNodesOneExcluded_OtherEvenWhenBusier()
    {
        var nodes = TestNodes.WithWeights(100, 100);
        nodes[0].Busy(100);
        var balancer = new LeastInFlight(nodes, new Random(6));

        for (var i = 0; i < 100; i++)
        {
            Assert.Same(nodes[0], balancer.Pick(Context, nodes[1]));
        }
    }

    [Fact]
    public void Pick_SingleNode_ReturnsItOrNullWhenExcluded()
    {
        var nodes = TestNodes.WithWeights(100);
        nodes[0].Busy(1000);
        var balancer = new LeastInFlight(nodes, new Random(7));

        Assert.Same(nodes[0], balancer.Pick(Context, null));
        Assert.Null(balancer.Pick(Context, nodes[0]));
    }

    [Fact]
    public void Pick_IdleZeroWeightNodeAmongBusyWeighted_NeverChosen()
    {
        var nodes = TestNodes.WithWeights(100, 0, 100);
        nodes[0].Busy(10);
        nodes[2].Busy(10);
        var balancer = new LeastInFlight(nodes, new Random(8));

        var counts = TestNodes.CountPicks(nodes, () => balancer.Pick(Context, null), 5000);

        Assert.Equal(0, counts[1]);
    }

    [Fact]
    public void Pick_AllWeightsZero_TreatedAsEqualWeight()
    {
        var nodes = TestNodes.WithWeights(0, 0, 0);
        nodes[0].Busy(3);
        var balancer = new LeastInFlight(nodes, new Random(9));

        var counts = TestNodes.CountPicks(nodes, () => balancer.Pick(Context, null), 6000);

        Assert.Equal(0, counts[0]);
        Assert.InRange(counts[1], 2500, 3500);
    }

    [Fact]
    public void Pick_WithAndWithoutExclusion_DoesNotAllocate()
    {
        var nodes = TestNodes.WithWeights(100, 100, 100, 100);
        var balancer = new LeastInFlight(nodes, Random.Shared);
        balancer.Pick(Context, null);
        balancer.Pick(Context, nodes[2]);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            balancer.Pick(Context, null);
            balancer.Pick(Context, nodes[2]);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
