using Gatehouse.Gateway.LoadBalancing;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.LoadBalancing;

public sealed class WeightedRandomTests
{
    private const int Picks = 200_000;
    private const double Tolerance = 0.015;

    private static readonly HttpContext Context = new DefaultHttpContext();

    [Theory]
    [InlineData(new[] { 100, 300, 600 })]
    [InlineData(new[] { 1, 1, 1, 1 })]
    [InlineData(new[] { 5, 0, 15 })]
    [InlineData(new[] { 1, 99 })]
    [InlineData(new[] { 10, 20, 30, 40, 50, 60, 70, 80 })]
    public void Pick_SeededRandom_SharesFollowWeights(int[] weights)
    {
        var nodes = TestNodes.WithWeights(weights);
        var balancer = new WeightedRandom(nodes, new Random(20240601));

        var counts = TestNodes.CountPicks(nodes, () => balancer.Pick(Context, null), Picks);

        double total = weights.Sum();
        for (var i = 0; i < weights.Length; i++)
        {
            Assert.InRange((double)counts[i] / Picks, weights[i] / total - Tolerance, weights[i] / total + Tolerance);
        }
    }

    [Fact]
    public void Pick_ZeroWeightNode_NeverPicked()
    {
        var nodes = TestNodes.WithWeights(0, 1, 0, 1, 0);
        var balancer = new WeightedRandom(nodes, new Random(7));

        var counts = TestNodes.CountPicks(nodes, () => balancer.Pick(Context, null), 20_000);

        Assert.Equal(0, counts[0] + counts[2] + counts[4]);
    }

    [Fact]
    public void Pick_AllWeightsZero_UniformShares()
    {
        var nodes = TestNodes.WithWeights(0, 0, 0, 0);
        var balancer = new WeightedRandom(nodes, new Random(11));

        var counts = TestNodes.CountPicks(nodes, () => balancer.Pick(Context, null), Picks);

        Assert.All(counts, c => Assert.InRange((double)c / Picks, 0.25 - Tolerance, 0.25 + Tolerance));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Pick_ExcludedNode_NeverPickedAndOthersKeepRelativeWeights(int excluded)
    {
        int[] weights = [100, 300, 600];
        var nodes = TestNodes.WithWeights(weights);
        var balancer = new WeightedRandom(nodes, new Random(3));

        var counts = TestNodes.CountPicks(nodes, () => balancer.Pick(Context, nodes[excluded]), Picks);

        Assert.Equal(0, counts[excluded]);
        double remaining = weights.Sum() - weights[excluded];
        for (var i = 0; i < weights.Length; i++)
        {
            if (i != excluded)
            {
                Assert.InRange((double)counts[i] / Picks, weights[i] / remaining - Tolerance, weights[i] / remaining + Tolerance);
            }
        }
    }

    [Fact]
    public void Pick_OnlyNodeExcluded_ReturnsNull()
    {
        var nodes = TestNodes.WithWeights(100, 0);
        var balancer = new WeightedRandom(nodes, new Random(5));

        Assert.Null(balancer.Pick(Context, nodes[0]));
        Assert.Same(nodes[0], balancer.Pick(Context, nodes[1]));
    }

    [Fact]
    public void Pick_SameSeed_SameSequence()
    {
        var nodes = TestNodes.WithWeights(1, 2, 3);
        var first = new WeightedRandom(nodes, new Random(99));
        var second = new WeightedRandom(nodes, new Random(99));

        var a = Enumerable.Range(0, 100).Select(_ => first.Pick(Context, null)).ToArray();
        var b = Enumerable.Range(0, 100).Select(_ => second.Pick(Context, null)).ToArray();

        Assert.Equal(a, b);
    }

    [Fact]
    public void Pick_WithAndWithoutExclusion_DoesNotAllocate()
    {
        var nodes = TestNodes.WithWeights(1, 2, 3, 4);
        var balancer = new WeightedRandom(nodes, Random.Shared);
        balancer.Pick(Context, null);
        balancer.Pick(Context, nodes[1]);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            balancer.Pick(Context, null);
            balancer.Pick(Context, nodes[1]);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
